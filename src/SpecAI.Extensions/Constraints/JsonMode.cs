namespace SpecAI.Extensions.Constraints;

/// <summary>Lexical/structural position of the automaton.</summary>
internal enum JsonMode : byte
{
    Prefix,
    ExpectValue,
    ArrayFirst,
    ObjectFirst,
    ObjectKey,
    InString,
    Escape,
    Hex,
    AfterKey,
    AfterValue,
    NumMinus,
    NumZero,
    NumInt,
    NumDot,
    NumFrac,
    NumExp,
    NumExpSign,
    NumExpDigits,
    Literal,
    Done,
    Suffix,
    SuffixDone,
    Ended,
}
