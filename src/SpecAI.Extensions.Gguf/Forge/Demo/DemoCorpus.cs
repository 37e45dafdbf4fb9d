using System.Text;

namespace SpecAI.Extensions.Gguf.Forge.Demo;

/// <summary>
/// A small English corpus the project writes itself: short stories and short answers from a templated grammar,
/// deterministic from a seed. Only letters, spaces and <c>, . ! ?</c>, one answer per entry, so a GPT-2
/// pre-tokenizer splits it into whole words and punctuation.
/// </summary>
internal static class DemoCorpus
{
    private static readonly string[] Names = ["Tom", "Lily", "Sam", "Mia", "Ben", "Anna", "Max", "Lucy", "Leo", "Emma", "Jack", "Rosa", "Finn", "Nora", "Owen", "Ella", "Oliver", "Grace", "Henry", "Alice", "Lucas", "Chloe", "Daniel", "Sophie", "Arthur", "Isla", "Hugo", "Maya", "Felix", "Ruby", "Oscar", "Hazel", "Theo", "Ivy", "Jasper", "Clara", "Milo", "Violet", "Rufus", "Poppy", "Ezra", "Willow", "Silas", "Daisy", "Jonah", "Matilda"];
    private static readonly string[] Animals = ["fox", "cat", "dog", "bird", "rabbit", "bear", "duck", "mouse", "owl", "frog", "horse", "fish", "turtle", "lion", "goat", "sheep", "deer", "wolf", "squirrel", "hedgehog", "badger", "otter", "beaver", "penguin", "dolphin", "whale", "zebra", "giraffe", "elephant", "monkey", "tiger", "panda", "koala", "kangaroo", "parrot", "swan", "goose", "pigeon", "robin", "sparrow", "butterfly", "beetle", "spider", "snail", "lizard", "camel", "donkey", "chicken", "pony", "raccoon", "moose", "seal", "crab", "octopus"];
    private static readonly string[] Sizes = ["little", "big", "small", "tiny", "tall", "young"];
    private static readonly string[] Looks = ["happy", "brave", "kind", "shy", "clever", "funny", "quiet", "gentle", "curious", "friendly", "sleepy", "busy", "proud", "lucky", "careful", "cheerful", "grumpy", "thoughtful", "playful", "patient", "generous", "honest", "polite", "nervous", "wise", "silly", "gentle", "stubborn", "graceful"];
    private static readonly string[] Colours = ["red", "blue", "green", "yellow", "white", "brown", "golden", "silver", "purple", "orange", "pink", "black", "grey", "crimson", "turquoise", "violet"];
    private static readonly string[] Places = ["forest", "village", "garden", "river", "meadow", "city", "farm", "park", "mountain", "beach", "lake", "valley", "island", "castle", "school", "market", "harbour", "desert", "jungle", "orchard", "bakery", "library", "cottage", "bridge", "hill", "cave", "swamp", "pond", "tower", "kingdom", "canyon", "glacier", "lighthouse", "vineyard", "workshop", "playground", "station", "museum", "palace", "stable"];
    private static readonly string[] Things = ["ball", "box", "book", "hat", "key", "kite", "map", "shell", "stone", "flower", "cake", "boat", "lamp", "bell", "basket", "ring", "apple", "feather", "letter", "drum", "umbrella", "lantern", "blanket", "teapot", "pillow", "mirror", "ladder", "bucket", "candle", "compass", "whistle", "marble", "puzzle", "trumpet", "violin", "sandwich", "pancake", "pumpkin", "carrot", "banana", "cherry", "cookie", "necklace", "button", "ribbon", "rope", "shovel", "wagon", "balloon", "crayon", "notebook", "pencil", "clock", "helmet", "scarf", "glove", "sock", "tent"];
    private static readonly string[] Likes = ["play", "sing", "run", "read", "dance", "swim", "draw", "climb trees", "look at the stars", "bake bread", "pick flowers", "tell stories", "build houses of sand", "watch the clouds", "paint pictures", "play the violin", "ride bicycles", "plant seeds", "collect shells", "fly kites", "write poems", "catch butterflies", "visit grandmother", "explore caves"];
    private static readonly string[] Feelings = ["happy", "sad", "surprised", "excited", "scared", "glad", "tired", "proud", "worried", "calm", "delighted", "nervous", "grateful", "lonely", "amazed", "puzzled", "curious", "hopeful"];
    private static readonly string[] Times = ["One day", "One morning", "One evening", "Later that day", "The next day", "After a while", "Soon", "Then", "That night", "In the spring"];
    private static readonly string[] Moves = ["walked", "ran", "jumped", "looked", "went", "climbed", "hurried", "swam", "flew", "wandered", "tiptoed", "marched", "galloped", "skipped", "crawled", "paddled", "sailed", "raced"];
    private static readonly string[] Says = ["said", "asked", "shouted", "whispered", "laughed", "smiled and said"];
    private static readonly string[] Topics = ["the sea", "the sun", "the moon", "the rain", "the wind", "the stars", "the forest", "a river", "a garden", "the snow", "a city", "a mountain", "the sky", "a farm", "music", "bread", "books", "trees", "flowers", "winter", "summer", "water", "light", "time", "friends", "rivers", "bees", "clouds", "the", "ocean", "volcanoes", "dinosaurs", "the", "desert", "honey", "chocolate", "gardens", "bridges", "mountains", "computers", "rainbows", "thunder", "autumn", "insects", "planets", "castles", "dragons", "robots", "pirates", "whales", "mushrooms", "deserts", "islands"];
    private static readonly string[] Qualities = ["big", "old", "bright", "warm", "cold", "deep", "quiet", "beautiful", "strong", "gentle", "wide", "wild", "soft", "clear", "full of life", "very important", "enormous", "ancient", "peaceful", "mysterious", "colourful", "delicious", "dangerous", "wonderful", "fascinating", "magnificent", "fragile", "powerful", "curious", "surprising"];
    private static readonly string[] Verbs = ["grow", "change", "move", "help us", "give us food", "bring joy", "make us think", "keep us warm", "tell us stories", "shine", "sing", "rest"];
    private static readonly string[] People = ["people", "children", "farmers", "many animals", "old sailors", "young painters", "families", "travellers", "small birds", "friends"];
    private static readonly string[] Seasons = ["in the summer", "in the winter", "at night", "in the morning", "every day", "after the rain", "in the spring", "on sunny days", "all year long", "when it is quiet"];

    /// <summary>Answers of about <paramref name="characters"/> characters in all, the same for the same seed.</summary>
    public static IReadOnlyList<string> Generate(ulong seed, int characters)
    {
        var random = new ForgeRandom(seed);
        var answers = new List<string>();
        int total = 0;
        while (total < characters)
        {
            string answer = random.NextDouble() < 0.55 ? Story(random) : Answer(random);
            answers.Add(answer);
            total += answer.Length + 1;
        }

        return answers;
    }

    private static string Story(ForgeRandom r)
    {
        string name = Pick(r, Names), animal = Pick(r, Animals), place = Pick(r, Places), friend = Pick(r, Names);
        string he = r.NextDouble() < 0.5 ? "He" : "She", his = he == "He" ? "his" : "her";
        string lower = he.ToLowerInvariant();
        var s = new StringBuilder();
        s.Append(Pick(r, ["Once upon a time, there was a", "Long ago, there lived a", "There was once a"]))
            .Append(' ').Append(Pick(r, Sizes)).Append(' ').Append(Pick(r, Looks)).Append(' ').Append(animal)
            .Append(" named ").Append(name).Append('.');
        s.Append(' ').Append(name).Append(" lived in a ").Append(Pick(r, Sizes)).Append(" house near the ").Append(place).Append('.');
        s.Append(' ').Append(he).Append(" liked to ").Append(Pick(r, Likes)).Append(" with ").Append(his).Append(" friend ").Append(friend).Append('.');
        int events = 1 + r.NextInt(3);
        for (int i = 0; i < events; i++)
        {
            string thing = Pick(r, Things), colour = Pick(r, Colours);
            switch (r.NextInt(5))
            {
                case 0:
                    s.Append(' ').Append(Pick(r, Times)).Append(", ").Append(name).Append(" found ").Append(Article(colour)).Append(' ').Append(colour).Append(' ').Append(thing)
                        .Append(" in the ").Append(Pick(r, Places)).Append('.');
                    s.Append(' ').Append(he).Append(" was very ").Append(Pick(r, Feelings)).Append('.');
                    break;
                case 1:
                    s.Append(' ').Append(Pick(r, Times)).Append(", ").Append(lower).Append(' ').Append(Pick(r, Moves)).Append(" to the ").Append(Pick(r, Places))
                        .Append(" to look for ").Append(Article(thing)).Append(' ').Append(thing).Append('.');
                    break;
                case 2:
                    s.Append(' ').Append(friend).Append(' ').Append(Pick(r, Says)).Append(", ").Append(Pick(r, ["let us go to the", "look at the", "I love the", "come and see the"]))
                        .Append(' ').Append(Pick(r, Places)).Append(Pick(r, [".", "!"]));
                    break;
                case 3:
                    s.Append(' ').Append(Pick(r, ["The", "A"])).Append(' ').Append(Pick(r, Sizes)).Append(' ').Append(Pick(r, Animals)).Append(" came to help, and they ")
                        .Append(Pick(r, Moves)).Append(" together.");
                    break;
                default:
                    s.Append(' ').Append(Pick(r, ["The night was", "The day was", "The sky was"])).Append(' ').Append(Pick(r, Qualities)).Append(" and ")
                        .Append(Pick(r, Colours)).Append(", and ").Append(name).Append(" felt ").Append(Pick(r, Feelings)).Append('.');
                    break;
            }
        }

        s.Append(' ').Append(Pick(r, ["In the end,", "At last,", "That evening,", "From that day on,"])).Append(' ').Append(name).Append(" and ").Append(friend)
            .Append(' ').Append(Pick(r, ["were the best of friends.", "went home together.", "laughed all the way home.", "shared a big cake.", "slept well that night."]));
        return s.ToString();
    }

    private static string Answer(ForgeRandom r)
    {
        string topic = Pick(r, Topics);
        string subject = char.ToUpperInvariant(topic[0]) + topic[1..];
        var s = new StringBuilder();
        s.Append(Pick(r, ["That is a good question.", "Let me tell you.", "Here is what I know.", "Good question!", "Sure."])).Append(' ');
        s.Append(subject).Append(" is ").Append(Pick(r, Qualities)).Append(" and ").Append(Pick(r, Qualities)).Append('.');
        int sentences = 2 + r.NextInt(3);
        for (int i = 0; i < sentences; i++)
        {
            switch (r.NextInt(5))
            {
                case 0:
                    s.Append(" Many ").Append(Pick(r, People)).Append(" like ").Append(topic).Append(' ').Append(Pick(r, Seasons)).Append('.');
                    break;
                case 1:
                    s.Append(" It can ").Append(Pick(r, Verbs)).Append(", and it can ").Append(Pick(r, Verbs)).Append(" too.");
                    break;
                case 2:
                    s.Append(' ').Append(Pick(r, ["Some", "Most", "Few"])).Append(' ').Append(Pick(r, People)).Append(" say that ").Append(topic).Append(" is ")
                        .Append(Pick(r, Qualities)).Append(' ').Append(Pick(r, Seasons)).Append('.');
                    break;
                case 3:
                    s.Append(' ').Append(Pick(r, ["If you go to", "When you look at", "If you think about"])).Append(' ').Append(Pick(r, Topics)).Append(", you will see that it is ")
                        .Append(Pick(r, Qualities)).Append('.');
                    break;
                default:
                    s.Append(" The ").Append(Pick(r, Places)).Append(" is a good place to learn about ").Append(Pick(r, Topics)).Append('.');
                    break;
            }
        }

        s.Append(' ').Append(Pick(r, ["I hope this helps.", "I hope you like it.", "Is there anything else you want to know?", "That is all I know.", "Have a nice day!"]));
        return s.ToString();
    }

    private static string Pick(ForgeRandom random, string[] choices) => choices[random.NextInt(choices.Length)];

    private static string Article(string word) => "aeiou".Contains(word[0], StringComparison.Ordinal) ? "an" : "a";
}
