using System.CommandLine;
using SpecAI.Cli;
using SpecAI.Cli.Bench;

var root = new RootCommand("specai: speculative decoding tools for SpecAI.Extensions (forge models, benchmark, chat, serve over HTTP).");
root.Subcommands.Add(ForgeCommand.Create());
root.Subcommands.Add(BenchCommand.Create());
root.Subcommands.Add(AcceptanceCommand.Create());
root.Subcommands.Add(JudgeCommand.Create());
root.Subcommands.Add(ServeCommand.Create());
root.Subcommands.Add(ChatCommand.Create());
root.Subcommands.Add(RawDecodeCommand.Create());
root.Subcommands.Add(BaselineCommand.Create());
root.Subcommands.Add(RequestCostCommand.Create());
root.Subcommands.Add(LanternCommand.Create());
return root.Parse(args).Invoke();
