using TempBalance.Core.Diagnosis;

namespace TempBalance.Core.Tests.Diagnosis;

public sealed class RestrictedUnpicklerTests
{
    /// <summary>pickle.dumps({'a': [1, 2.5, True, None, 'x', (3, -2, 70000, 2**40)], 'n': OrderedDict([('k', 1)])}, protocol=2).</summary>
    const string Protocol2 = "80027d71002858010000006171015d7102284b01474004000000000000884e5801000000787103284b034afeffffff4a701101008a060000000000017471046558010000006e710563636f6c6c656374696f6e730a4f726465726564446963740a71062952710758010000006b71084b0173752e";

    /// <summary>The same with b'yy' added to the list, protocol=4 (FRAME, SHORT_BINUNICODE, MEMOIZE, STACK_GLOBAL, SHORT_BINBYTES).</summary>
    const string Protocol4 = "80049566000000000000007d94288c0161945d94284b01474004000000000000884e8c0178944302797994284b034afeffffff4a701101008a060000000000017494658c016e948c0b636f6c6c656374696f6e73948c0b4f726465726564446963749493942952948c016b944b0173752e";

    [Theory]
    [InlineData(Protocol2)]
    [InlineData(Protocol4)]
    public void Plain_containers_and_scalars_are_read(string hex)
    {
        var root = Assert.IsType<PyDict>(RestrictedUnpickler.Load(Convert.FromHexString(hex)));

        Assert.Equal(["a", "n"], root.Items.Select(kv => kv.Key));
        var list = Assert.IsType<List<object?>>(root.Items[0].Value);
        Assert.Equal([1L, 2.5, true, null, "x"], list.Take(5));
        Assert.Equal([3L, -2L, 70000L, 1L << 40], Assert.IsType<object?[]>(list[^1]));
        if (hex == Protocol4) Assert.Equal("yy"u8.ToArray(), Assert.IsType<byte[]>(list[5]));
        var ordered = Assert.IsType<PyDict>(root.Items[1].Value);
        Assert.Equal(new KeyValuePair<object, object?>("k", 1L), Assert.Single(ordered.Items));
    }

    [Theory]
    [InlineData("8004951d000000000000008c086275696c74696e73948c046576616c9493948c013194859452942e", "builtins.eval")] // protocol 4, STACK_GLOBAL
    [InlineData("8002635f5f6275696c74696e5f5f0a6576616c0a710058010000003171018571025271032e", "__builtin__.eval")] // protocol 2, GLOBAL
    public void A_global_outside_the_allow_list_is_refused_before_it_could_be_called(string hex, string global)
    {
        var e = Assert.Throws<PickleException>(() => RestrictedUnpickler.Load(Convert.FromHexString(hex)));
        Assert.Contains($"'{global}'", e.Message);
    }

    [Fact]
    public void Object_construction_opcodes_are_refused_even_for_allowed_names()
    {
        // PROTO 2, GLOBAL collections.OrderedDict, EMPTY_TUPLE, NEWOBJ, STOP
        var bytes = Convert.FromHexString("8002" + "63" + Convert.ToHexString("collections\nOrderedDict\n"u8) + "29" + "81" + "2e");
        Assert.Contains("builds arbitrary objects", Assert.Throws<PickleException>(() => RestrictedUnpickler.Load(bytes)).Message);
    }

    [Theory]
    [InlineData("80025d7100284b014b02")] // [1, 2] without APPENDS and STOP
    [InlineData("8002580a000000616263")] // a 10-byte string with 3 bytes present
    [InlineData("80024b01680b2e")] // BINGET of a memo entry never put
    public void Truncated_or_inconsistent_pickles_are_malformed_not_crashes(string hex)
    {
        Assert.Throws<PickleException>(() => RestrictedUnpickler.Load(Convert.FromHexString(hex)));
    }
}
