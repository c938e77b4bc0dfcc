using System.Buffers.Binary;
using System.Text;

namespace TempBalance.Core.Diagnosis;

/// <summary>The pickle cannot be read as data: malformed, truncated, or it asks for something a state dict never needs.</summary>
internal sealed class PickleException(string message) : Exception(message);

/// <summary>A Python global the pickle named (only allowed ones ever get here).</summary>
internal sealed record PyGlobal(string Module, string Name)
{
    public string FullName => $"{Module}.{Name}";
}

/// <summary>A Python dict (or OrderedDict): insertion order kept, later keys replace earlier ones.</summary>
internal sealed class PyDict
{
    readonly List<KeyValuePair<object, object?>> items = [];
    readonly Dictionary<object, int> index = new(PickleKeyComparer.Instance);

    public IReadOnlyList<KeyValuePair<object, object?>> Items => items;

    public void Set(object? key, object? value)
    {
        var k = key ?? PyNone.Instance;
        if (index.TryGetValue(k, out var at)) items[at] = new(k, value);
        else
        {
            index[k] = items.Count;
            items.Add(new(k, value));
        }
    }
}

/// <summary>None as a dict key (a null key is not allowed in .NET dictionaries).</summary>
internal sealed class PyNone
{
    public static readonly PyNone Instance = new();

    public override string ToString() => "None";
}

/// <summary>Keys compare by value for strings and numbers, by reference otherwise (tuples as keys do not occur in state dicts).</summary>
file sealed class PickleKeyComparer : IEqualityComparer<object>
{
    public static readonly PickleKeyComparer Instance = new();

    public new bool Equals(object? x, object? y) => object.Equals(x, y);

    public int GetHashCode(object obj) => obj.GetHashCode();
}

/// <summary>A storage of the checkpoint (the file data/{Key} in the archive), as torch.save's persistent id names it.</summary>
internal sealed record StorageRef(string Key, StoredDType DType, string DTypeName, long ElementCount);

/// <summary>torch._utils._rebuild_tensor_v2(storage, offset, size, stride, ...): a strided view of a storage.</summary>
internal sealed record TensorRef(StorageRef Storage, long Offset, long[] Shape, long[] Strides);

/// <summary>
/// A pickle reader that treats the pickle as data, never as code. It interprets the opcodes of protocols 2 to
/// 5 that state dicts use (dicts, lists, tuples, strings, bytes, ints, floats, bools, None, memo, persistent
/// ids for storages) and accepts only these globals: collections.OrderedDict, torch._utils._rebuild_tensor_v2,
/// torch._utils._rebuild_parameter and torch.*Storage types. Any other global (os.system, builtins.eval, a
/// model class) is refused when the GLOBAL or STACK_GLOBAL opcode names it, before any REDUCE could call it;
/// and even allowed names are never looked up or called: REDUCE builds plain records for them. Opcodes that
/// build arbitrary objects (INST, OBJ, NEWOBJ, NEWOBJ_EX, EXT1-4) are refused too.
/// </summary>
internal sealed class RestrictedUnpickler
{
    // Declared before AllowedGlobals, which reads it: static initialisers run in textual order.
    static readonly Dictionary<string, StoredDType> StorageTypeTable = new()
    {
        ["FloatStorage"] = StoredDType.Float32,
        ["DoubleStorage"] = StoredDType.Float64,
        ["HalfStorage"] = StoredDType.Float16,
        ["BFloat16Storage"] = StoredDType.BFloat16,
        ["LongStorage"] = StoredDType.Int64,
        ["IntStorage"] = StoredDType.Int32,
        ["ShortStorage"] = StoredDType.Int16,
        ["CharStorage"] = StoredDType.Int8,
        ["ByteStorage"] = StoredDType.UInt8,
        ["BoolStorage"] = StoredDType.Bool,
    };

    static readonly HashSet<string> AllowedGlobals =
    [
        "collections.OrderedDict",
        "torch._utils._rebuild_tensor_v2",
        "torch._utils._rebuild_parameter",
        .. StorageTypeTable.Keys.Select(name => $"torch.{name}"),
    ];

    sealed class Mark
    {
        public static readonly Mark Instance = new();
    }

    readonly byte[] data;
    int position;
    readonly List<object?> stack = [];
    readonly Dictionary<long, object?> memo = [];

    RestrictedUnpickler(byte[] data) => this.data = data;

    /// <summary>Reads one pickle; throws <see cref="PickleException"/> for anything that is not plain state-dict data.</summary>
    public static object? Load(byte[] pickle) => new RestrictedUnpickler(pickle).Run();

    object? Run()
    {
        while (true)
        {
            int at = position;
            byte op = ReadByte();
            switch (op)
            {
                case 0x80: // PROTO
                    int protocol = ReadByte();
                    if (protocol > 5) throw new PickleException($"pickle protocol {protocol} is not supported (2 to 5 are)");
                    break;
                case 0x95: // FRAME: a length prefix for buffering; the data follows inline
                    Take(8);
                    break;
                case 0x2e: // STOP
                    if (stack.Count != 1) throw new PickleException("malformed pickle: STOP with a stack that does not hold exactly one value");
                    return stack[0];

                case 0x28: Push(Mark.Instance); break; // MARK
                case 0x30: Pop(); break; // POP
                case 0x31: PopToMark(); break; // POP_MARK
                case 0x32: Push(Peek()); break; // DUP

                case 0x4e: Push(null); break; // NONE
                case 0x88: Push(true); break; // NEWTRUE
                case 0x89: Push(false); break; // NEWFALSE
                case 0x4b: Push((long)ReadByte()); break; // BININT1
                case 0x4d: Push((long)BinaryPrimitives.ReadUInt16LittleEndian(Take(2))); break; // BININT2
                case 0x4a: Push((long)BinaryPrimitives.ReadInt32LittleEndian(Take(4))); break; // BININT
                case 0x8a: Push(ReadLong(ReadByte())); break; // LONG1
                case 0x8b: Push(ReadLong(Length(BinaryPrimitives.ReadInt32LittleEndian(Take(4))))); break; // LONG4
                case 0x47: Push(BinaryPrimitives.ReadDoubleBigEndian(Take(8))); break; // BINFLOAT

                case 0x58: Push(Encoding.UTF8.GetString(Take(Length(BinaryPrimitives.ReadUInt32LittleEndian(Take(4)))))); break; // BINUNICODE
                case 0x8c: Push(Encoding.UTF8.GetString(Take(ReadByte()))); break; // SHORT_BINUNICODE
                case 0x8d: Push(Encoding.UTF8.GetString(Take(Length(BinaryPrimitives.ReadUInt64LittleEndian(Take(8)))))); break; // BINUNICODE8
                case 0x54: Push(Encoding.Latin1.GetString(Take(Length(BinaryPrimitives.ReadInt32LittleEndian(Take(4)))))); break; // BINSTRING
                case 0x55: Push(Encoding.Latin1.GetString(Take(ReadByte()))); break; // SHORT_BINSTRING
                case 0x42: Push(Take(Length(BinaryPrimitives.ReadUInt32LittleEndian(Take(4)))).ToArray()); break; // BINBYTES
                case 0x43: Push(Take(ReadByte()).ToArray()); break; // SHORT_BINBYTES
                case 0x8e: Push(Take(Length(BinaryPrimitives.ReadUInt64LittleEndian(Take(8)))).ToArray()); break; // BINBYTES8

                case 0x29: Push(Array.Empty<object?>()); break; // EMPTY_TUPLE
                case 0x74: Push(PopToMark().ToArray()); break; // TUPLE
                case 0x85: Push(PopItems(1)); break; // TUPLE1
                case 0x86: Push(PopItems(2)); break; // TUPLE2
                case 0x87: Push(PopItems(3)); break; // TUPLE3
                case 0x5d: Push(new List<object?>()); break; // EMPTY_LIST
                case 0x6c: Push(PopToMark()); break; // LIST
                case 0x61: // APPEND
                    {
                        var item = Pop();
                        PeekList().Add(item);
                        break;
                    }
                case 0x65: // APPENDS
                    {
                        var items = PopToMark();
                        PeekList().AddRange(items);
                        break;
                    }
                case 0x7d: Push(new PyDict()); break; // EMPTY_DICT
                case 0x64: // DICT
                    {
                        var items = PopToMark();
                        var dict = new PyDict();
                        SetItems(dict, items);
                        Push(dict);
                        break;
                    }
                case 0x73: // SETITEM
                    {
                        var value = Pop();
                        var key = Pop();
                        PeekDict().Set(key, value);
                        break;
                    }
                case 0x75: // SETITEMS
                    {
                        var items = PopToMark();
                        SetItems(PeekDict(), items);
                        break;
                    }
                case 0x8f: Push(new List<object?>()); break; // EMPTY_SET, kept as a list
                case 0x90: // ADDITEMS
                    {
                        var items = PopToMark();
                        PeekList().AddRange(items);
                        break;
                    }
                case 0x91: Push(PopToMark()); break; // FROZENSET, kept as a list

                case 0x68: Push(Recall(ReadByte())); break; // BINGET
                case 0x6a: Push(Recall(BinaryPrimitives.ReadUInt32LittleEndian(Take(4)))); break; // LONG_BINGET
                case 0x71: memo[ReadByte()] = Peek(); break; // BINPUT
                case 0x72: memo[BinaryPrimitives.ReadUInt32LittleEndian(Take(4))] = Peek(); break; // LONG_BINPUT
                case 0x94: memo[memo.Count] = Peek(); break; // MEMOIZE

                case 0x63: // GLOBAL
                    Push(Global(ReadLine(), ReadLine()));
                    break;
                case 0x93: // STACK_GLOBAL
                    {
                        var name = Pop() as string;
                        var module = Pop() as string;
                        if (module is null || name is null) throw new PickleException("malformed pickle: STACK_GLOBAL needs two strings");
                        Push(Global(module, name));
                        break;
                    }
                case 0x51: Push(PersistentLoad(Pop())); break; // BINPERSID
                case 0x52: // REDUCE
                    {
                        var args = Pop() as object?[] ?? throw new PickleException("malformed pickle: REDUCE arguments are not a tuple");
                        var callable = Pop();
                        Push(Reduce(callable, args));
                        break;
                    }
                case 0x62: // BUILD
                    {
                        var state = Pop();
                        Build(Peek(), state);
                        break;
                    }

                case 0x69 or 0x6f or 0x81 or 0x92: // INST, OBJ, NEWOBJ, NEWOBJ_EX
                    throw new PickleException($"the pickle builds arbitrary objects (opcode 0x{op:x2} at byte {at}); a state dict never does, so it is refused without running anything");
                case 0x82 or 0x83 or 0x84: // EXT1, EXT2, EXT4
                    throw new PickleException($"the pickle refers to the extension registry (opcode 0x{op:x2} at byte {at}); refused without running anything");
                default:
                    throw new PickleException($"unsupported or corrupt pickle opcode 0x{op:x2} at byte {at} (torch.save writes protocol 2)");
            }
        }
    }

    static object Global(string module, string name)
    {
        var fullName = $"{module}.{name}";
        if (!AllowedGlobals.Contains(fullName))
            throw new PickleException($"the pickle asks for the Python global '{fullName}', which a state dict never needs; refused without running anything (only tensor rebuild functions, storage types and OrderedDict are allowed)");
        return new PyGlobal(module, name);
    }

    /// <summary>torch.save's persistent id of a storage: ('storage', torch.XStorage, key, location, numel).</summary>
    static StorageRef PersistentLoad(object? pid)
    {
        if (pid is not object?[] { Length: 5 } t || t[0] is not "storage" || t[1] is not PyGlobal type || t[2] is not string key || t[4] is not long numel || numel < 0)
            throw new PickleException("malformed persistent id: expected ('storage', storage type, key, location, size)");
        var dtype = StorageTypeTable.TryGetValue(type.Name, out var d) ? d : throw new PickleException($"'{type.FullName}' is not a storage type");
        return new StorageRef(key, dtype, type.Name, numel);
    }

    static object? Reduce(object? callable, object?[] args)
    {
        if (callable is not PyGlobal f) throw new PickleException("malformed pickle: REDUCE on something that is not a global");
        switch (f.FullName)
        {
            case "collections.OrderedDict":
                {
                    var dict = new PyDict();
                    if (args.Length == 1 && args[0] is List<object?> pairs)
                        foreach (var pair in pairs)
                            if (pair is object?[] { Length: 2 } kv) dict.Set(kv[0], kv[1]);
                            else throw new PickleException("malformed OrderedDict items");
                    else if (args.Length != 0) throw new PickleException("malformed OrderedDict arguments");
                    return dict;
                }
            case "torch._utils._rebuild_tensor_v2":
                {
                    if (args.Length < 4 || args[0] is not StorageRef storage || args[1] is not long offset || args[2] is not object?[] size || args[3] is not object?[] stride)
                        throw new PickleException("malformed _rebuild_tensor_v2 arguments");
                    var shape = Longs(size, "size");
                    var strides = Longs(stride, "stride");
                    if (shape.Length != strides.Length || offset < 0 || shape.Any(d => d < 0) || strides.Any(s => s < 0))
                        throw new PickleException("malformed tensor: size, stride and offset disagree");
                    return new TensorRef(storage, offset, shape, strides);
                }
            case "torch._utils._rebuild_parameter":
                return args.Length >= 1 && args[0] is TensorRef data ? data : throw new PickleException("malformed _rebuild_parameter arguments");
            default:
                throw new PickleException($"the pickle calls '{f.FullName}', which is not a function; refused");
        }
    }

    static long[] Longs(object?[] values, string what) =>
        values.Select(v => v is long l ? l : throw new PickleException($"malformed tensor {what}")).ToArray();

    /// <summary>BUILD sets attributes: only a dict's (an OrderedDict's _metadata) are accepted, and ignored.</summary>
    static void Build(object? target, object? state)
    {
        if (target is PyDict && state is PyDict or null) return;
        throw new PickleException("the pickle sets the state of an object that is not a dict; refused");
    }

    static void SetItems(PyDict dict, List<object?> items)
    {
        if (items.Count % 2 != 0) throw new PickleException("malformed pickle: an odd number of dict items");
        for (int k = 0; k < items.Count; k += 2) dict.Set(items[k], items[k + 1]);
    }

    object? Recall(long key) => memo.TryGetValue(key, out var value) ? value : throw new PickleException($"malformed pickle: memo entry {key} is missing");

    void Push(object? value) => stack.Add(value);

    object? Pop()
    {
        if (stack.Count == 0 || stack[^1] is Mark) throw new PickleException("malformed pickle: stack underflow");
        var value = stack[^1];
        stack.RemoveAt(stack.Count - 1);
        return value;
    }

    object? Peek() => stack.Count > 0 && stack[^1] is not Mark ? stack[^1] : throw new PickleException("malformed pickle: stack underflow");

    List<object?> PeekList() => Peek() as List<object?> ?? throw new PickleException("malformed pickle: append to something that is not a list");

    PyDict PeekDict() => Peek() as PyDict ?? throw new PickleException("malformed pickle: set an item of something that is not a dict");

    object?[] PopItems(int count)
    {
        var items = new object?[count];
        for (int k = count - 1; k >= 0; k--) items[k] = Pop();
        return items;
    }

    List<object?> PopToMark()
    {
        int mark = stack.FindLastIndex(v => v is Mark);
        if (mark < 0) throw new PickleException("malformed pickle: no MARK");
        var items = stack.GetRange(mark + 1, stack.Count - mark - 1);
        stack.RemoveRange(mark, stack.Count - mark);
        return items;
    }

    byte ReadByte()
    {
        if (position >= data.Length) throw new PickleException("truncated pickle");
        return data[position++];
    }

    ReadOnlySpan<byte> Take(int count)
    {
        if (count < 0 || count > data.Length - position) throw new PickleException("truncated pickle");
        var span = data.AsSpan(position, count);
        position += count;
        return span;
    }

    static int Length(long length) => length is >= 0 and <= int.MaxValue ? (int)length : throw new PickleException($"malformed pickle: length {length}");

    static int Length(ulong length) => length <= int.MaxValue ? (int)length : throw new PickleException($"malformed pickle: length {length}");

    string ReadLine()
    {
        int end = Array.IndexOf(data, (byte)'\n', position);
        if (end < 0) throw new PickleException("truncated pickle");
        var line = Encoding.UTF8.GetString(data, position, end - position);
        position = end + 1;
        return line;
    }

    /// <summary>Python's little-endian two's-complement long; more than 8 bytes do not occur in state dicts.</summary>
    long ReadLong(int byteCount)
    {
        if (byteCount > 8) throw new PickleException($"integer of {byteCount} bytes is too large");
        var bytes = Take(byteCount);
        long value = 0;
        for (int k = byteCount - 1; k >= 0; k--) value = (value << 8) | bytes[k];
        if (byteCount is > 0 and < 8 && (bytes[byteCount - 1] & 0x80) != 0) value -= 1L << (8 * byteCount);
        return value;
    }
}
