using System.Globalization;

namespace SpecAI.Extensions.Gguf;

/// <summary>One typed GGUF metadata value: a scalar, a string, or an array of one element type.</summary>
/// <remarks>
/// Scalars are held boxed as their CLR type (<see cref="uint"/> for <see cref="GgufValueType.UInt32"/>,
/// <see cref="bool"/> for <see cref="GgufValueType.Bool"/>, ...); arrays as a typed CLR array
/// (<c>string[]</c>, <c>int[]</c>, <c>float[]</c>, ...). Arrays of arrays are not supported.
/// </remarks>
public sealed class GgufValue
{
    private GgufValue(GgufValueType type, GgufValueType elementType, object value)
    {
        Type = type;
        ElementType = elementType;
        Value = value;
    }

    /// <summary>The value's type tag.</summary>
    public GgufValueType Type { get; }

    /// <summary>For arrays, the element type; otherwise the same as <see cref="Type"/>.</summary>
    public GgufValueType ElementType { get; }

    /// <summary>The boxed scalar, string, or typed array.</summary>
    public object Value { get; }

    /// <summary>Whether the value is an array.</summary>
    public bool IsArray => Type == GgufValueType.Array;

    /// <summary>Number of elements of an array value; 1 for a scalar.</summary>
    public int Count => Value is Array array ? array.Length : 1;

    /// <summary>Creates a string value.</summary>
    public static GgufValue FromString(string value) => Scalar(GgufValueType.String, value ?? throw new ArgumentNullException(nameof(value)));

    /// <summary>Creates a boolean value.</summary>
    public static GgufValue FromBool(bool value) => Scalar(GgufValueType.Bool, value);

    /// <summary>Creates an unsigned 8-bit value.</summary>
    public static GgufValue FromUInt8(byte value) => Scalar(GgufValueType.UInt8, value);

    /// <summary>Creates a signed 8-bit value.</summary>
    public static GgufValue FromInt8(sbyte value) => Scalar(GgufValueType.Int8, value);

    /// <summary>Creates an unsigned 16-bit value.</summary>
    public static GgufValue FromUInt16(ushort value) => Scalar(GgufValueType.UInt16, value);

    /// <summary>Creates a signed 16-bit value.</summary>
    public static GgufValue FromInt16(short value) => Scalar(GgufValueType.Int16, value);

    /// <summary>Creates an unsigned 32-bit value.</summary>
    public static GgufValue FromUInt32(uint value) => Scalar(GgufValueType.UInt32, value);

    /// <summary>Creates a signed 32-bit value.</summary>
    public static GgufValue FromInt32(int value) => Scalar(GgufValueType.Int32, value);

    /// <summary>Creates an unsigned 64-bit value.</summary>
    public static GgufValue FromUInt64(ulong value) => Scalar(GgufValueType.UInt64, value);

    /// <summary>Creates a signed 64-bit value.</summary>
    public static GgufValue FromInt64(long value) => Scalar(GgufValueType.Int64, value);

    /// <summary>Creates a 32-bit float value.</summary>
    public static GgufValue FromFloat32(float value) => Scalar(GgufValueType.Float32, value);

    /// <summary>Creates a 64-bit float value.</summary>
    public static GgufValue FromFloat64(double value) => Scalar(GgufValueType.Float64, value);

    /// <summary>Creates an array value from a typed CLR array (string, bool, byte, sbyte, short, ushort, int, uint, long, ulong, float or double elements).</summary>
    /// <exception cref="ArgumentException">The element type has no GGUF counterpart.</exception>
    public static GgufValue FromArray(Array values)
    {
        ArgumentNullException.ThrowIfNull(values);
        // Match the exact element type: CLR array covariance makes a ulong[] also an "is long[]".
        Type element = values.GetType().GetElementType()!;
        GgufValueType elementType =
            element == typeof(string) ? GgufValueType.String
            : element == typeof(bool) ? GgufValueType.Bool
            : element == typeof(byte) ? GgufValueType.UInt8
            : element == typeof(sbyte) ? GgufValueType.Int8
            : element == typeof(short) ? GgufValueType.Int16
            : element == typeof(ushort) ? GgufValueType.UInt16
            : element == typeof(int) ? GgufValueType.Int32
            : element == typeof(uint) ? GgufValueType.UInt32
            : element == typeof(long) ? GgufValueType.Int64
            : element == typeof(ulong) ? GgufValueType.UInt64
            : element == typeof(float) ? GgufValueType.Float32
            : element == typeof(double) ? GgufValueType.Float64
            : throw new ArgumentException($"Arrays of {element} have no GGUF type.", nameof(values));
        if (values.Rank != 1 || (values is string[] strings && strings.Any(s => s is null)))
        {
            throw new ArgumentException("Only one-dimensional arrays without null strings can be stored.", nameof(values));
        }

        return new GgufValue(GgufValueType.Array, elementType, values);
    }

    /// <summary>The string value.</summary>
    /// <exception cref="InvalidCastException">The value is not a string.</exception>
    public string AsString() => Value as string ?? throw new InvalidCastException($"GGUF value of type {Type} is not a string.");

    /// <summary>Any integer scalar (or bool) widened to <see cref="long"/>.</summary>
    /// <exception cref="InvalidCastException">The value is not an integer or does not fit.</exception>
    public long AsInt64() => Value switch
    {
        bool b => b ? 1 : 0,
        byte or sbyte or short or ushort or int or uint or long => Convert.ToInt64(Value, CultureInfo.InvariantCulture),
        ulong u when u <= long.MaxValue => (long)u,
        _ => throw new InvalidCastException($"GGUF value of type {Type} is not an integer that fits in Int64."),
    };

    /// <summary>Any numeric scalar widened to <see cref="double"/>.</summary>
    /// <exception cref="InvalidCastException">The value is not numeric.</exception>
    public double AsDouble() => Value switch
    {
        float f => f,
        double d => d,
        _ => AsInt64(),
    };

    /// <summary>The typed array.</summary>
    /// <exception cref="InvalidCastException">The value is not an array of <typeparamref name="T"/>.</exception>
    public T[] AsArray<T>() => Value.GetType() == typeof(T[]) ? (T[])Value : throw new InvalidCastException($"GGUF value of type {Type}/{ElementType} is not an array of {typeof(T).Name}.");

    /// <inheritdoc />
    public override string ToString() => IsArray ? $"{ElementType}[{Count}]" : Convert.ToString(Value, CultureInfo.InvariantCulture) ?? string.Empty;

    internal static GgufValue Array(GgufValueType elementType, Array values) => new(GgufValueType.Array, elementType, values);

    private static GgufValue Scalar(GgufValueType type, object value) => new(type, type, value);
}
