using System.Text;
using FsCheck;
using FsCheck.Fluent;

namespace Broker.StoreTests;

/// <summary>One generated request: what it is (for the failure message), and how it is sent.</summary>
public sealed record HostileRequest(string Kind, string Method, string PathAndQuery, string? Tenant, string? ContentType, byte[]? Body)
{
    public override string ToString()
    {
        var body = Body is null ? "" : Body.Length > 300 ? $" body[{Body.Length} bytes]: {Encoding.UTF8.GetString(Body, 0, 300)}…" : " body: " + Encoding.UTF8.GetString(Body);
        var path = PathAndQuery.Length > 300 ? PathAndQuery[..300] + $"…[{PathAndQuery.Length} chars]" : PathAndQuery;
        return $"[{Kind}] {Method} {path} tenant={Tenant ?? "(none)"} type={ContentType ?? "(none)"}{body}";
    }
}

/// <summary>
/// Generators of hostile requests, none of which may change the store: malformed JSON, deep nesting, huge numbers,
/// invalid UTF-8, SQL and regular-expression bombs in q and idPattern, path traversal in ids and @context ids, odd
/// tenant names, oversized and broken geometries. Writes are generated only in forms the broker must refuse, or
/// aimed at entities that do not exist.
/// </summary>
public static class HostileRequests
{
    public const string SeedPrefix = "urn:ngsi-ld:Seed:";

    /// <summary>The tenants of the fuzzed requests (seeded ones, and ones that must never come to exist).</summary>
    public static readonly string?[] Tenants = [null, "fuzz-luebeck", "fuzz-schwartau", "fuzz-never-created"];

    private static readonly string[] Ids =
    [
        "../../etc/passwd", "..%2f..%2fetc%2fpasswd", "%2e%2e%2f%2e%2e%2fbroker.db", SeedPrefix + "1/../2", SeedPrefix + "1%00", SeedPrefix + "1%2F..%2F2",
        SeedPrefix + "1' OR '1'='1", SeedPrefix + "1;DROP TABLE entities;--", SeedPrefix + "*", SeedPrefix + ".*", SeedPrefix + "%", SeedPrefix + "_",
        "not a uri", "urn:", ":", "%00", "%ff%fe", "\u0000", "😀", "日本語", "urn:ngsi-ld:X:" + new string('a', 5000), "urn:ngsi-ld:X:%0d%0aX-Injected:1",
        "urn:ngsi-ld:Missing:1", "http://169.254.169.254/latest", "file:///etc/passwd", "urn:ngsi-ld:X:$1", "urn:ngsi-ld:X:\\x00",
    ];

    private static readonly string[] HostileStrings =
    [
        "' OR '1'='1", "'; DELETE FROM entities; --", "\"); DROP TABLE entities; --", "$1", "\\", "\u0000", "\ud800", "%s%s%s%n", "${jndi:ldap://x}",
        "<script>alert(1)</script>", "../../etc/passwd", new string('x', 10_000), "日本語🚀", "NaN", "Infinity", "1e999999", "-0",
    ];

    private static readonly string[] QueryBombs =
    [
        "name~=\"(a+)+$\"", "name~=\"(a|a)*b\"", "name~=\"(.*a){25}\"", "name~=\"((a*)*)*b\"", "name~=\"[\"", "name~=\"(?<=a)b\"", "name~=\"\\\\\"",
        "name==\"' OR '1'='1\"", "name==\"'; DROP TABLE entities; --\"", "name==1e999999", "name==-1e999999", "name==99999999999999999999999999999999999",
        "name==NaN", "name/*x*/==1", "name;DROP TABLE entities", "name==\"\u0000\"", "(" + string.Concat(Enumerable.Repeat("(", 5000)) + "a==1" + string.Concat(Enumerable.Repeat(")", 5000)),
        string.Join(";", Enumerable.Range(0, 5000).Select(i => $"a{i}==1")), string.Join("|", Enumerable.Range(0, 5000).Select(i => $"a{i}==1")),
        "a==" + new string('9', 100_000), "a.b.c.d.e.f.g.h.i.j.k.l.m.n==1", "a[b][c][d][e]==1", "a..b==1", "a==1..", "a==\"x\"..\"y\"", "a!~=\"(a+)+$\"",
        "a==2018-13-45T99:99:99Z", "a<\"z\"&&b>", "", ";", "|", "==", "()",
    ];

    private static readonly string[] GeoBombs =
    [
        "georel=near;maxDistance==1e400&geometry=Point&coordinates=[13.6,53.8]",
        "georel=near;maxDistance==-1&geometry=Point&coordinates=[13.6,53.8]",
        "georel=within&geometry=Polygon&coordinates=[[[0,0],[1,1]]]",
        "georel=within&geometry=Polygon&coordinates=[[[NaN,0],[1,1],[0,1],[NaN,0]]]",
        "georel=within&geometry=Polygon&coordinates=[[[1e400,0],[1,1],[0,1],[1e400,0]]]",
        "georel=intersects&geometry=LineString&coordinates=[[0,0]]",
        "georel=equals&geometry=Point&coordinates=[\"a\",\"b\"]",
        "georel=within&geometry=Polygon&coordinates=" + OpenRing(100_000),
        "georel=within&geometry=Polygon&coordinates=" + ClosedRing(50_000),
        "georel=overlaps&geometry=MultiPolygon&coordinates=" + string.Concat(Enumerable.Repeat("[", 200)) + "0" + string.Concat(Enumerable.Repeat("]", 200)),
        "georel=near;maxDistance==1&geometry=Point&coordinates=[0,0]&geoproperty=" + Uri.EscapeDataString("' OR 1=1 --"),
        "georel=disjoint;x==1&geometry=Circle&coordinates=[0,0]",
    ];

    private static readonly string[] OtherParameters =
    [
        "limit=-1", "limit=99999999999999999999", "limit=abc", "offset=-5", "offset=1e99", "count=maybe", "options=" + new string('k', 10_000),
        "attrs=" + string.Join(",", Enumerable.Range(0, 10_000).Select(i => "a" + i)), "idPattern=(a%2B)%2B%24", "idPattern=%5B", "idPattern=" + new string('(', 1000),
        "scopeQ=/a/b/" + new string('c', 10_000), "scopeQ=((((/a", "scopeQ=/#/+/#", "type=" + Uri.EscapeDataString("T'; DROP TABLE entities; --"),
        "type=" + string.Join("|", Enumerable.Range(0, 5000).Select(i => "T" + i)), "type=((A;B)|(C;D", "csf=" + new string('x', 5000), "lang=" + Uri.EscapeDataString("@@@"),
        "format=" + Uri.EscapeDataString("../../etc"), "orderBy=name;DROP", "local=maybe", "id=" + Uri.EscapeDataString(string.Join(",", Enumerable.Range(0, 10_000).Select(i => "urn:x:" + i))),
    ];

    private static string OpenRing(int vertices) =>
        "[[" + string.Join(",", Enumerable.Range(0, vertices).Select(i => $"[{i % 180},{i % 90}]")) + "]]";

    private static string ClosedRing(int vertices) =>
        "[[" + string.Join(",", Enumerable.Range(0, vertices).Select(i => $"[{Math.Cos(i * 2 * Math.PI / vertices):0.######},{Math.Sin(i * 2 * Math.PI / vertices):0.######}]")) + ",[1,0]]]";

    /// <summary>Bodies a write must refuse: not JSON, not UTF-8, too deep, numbers beyond double, broken NGSI-LD.</summary>
    private static readonly byte[][] BadBodies =
    [
        .. new[]
        {
            "", "{", "}", "[", "nul", "NaN", "{\"id\":", "{\"id\":\"urn:x:1\",\"type\":\"T\",}", "{'id':'urn:x:1'}", "{\"id\":\"urn:x:1\" \"type\":\"T\"}",
            "\uFEFF{garbage", "{\"id\":\"urn:x:1\",\"type\":\"T\",\"a\":{\"type\":\"Property\",\"value\":1e999999}}",
            "{\"id\":\"urn:x:1\",\"type\":\"T\",\"a\":{\"type\":\"Property\",\"value\":-1e999999}}",
            "{\"id\":\"urn:x:1\",\"type\":\"T\",\"a\":{\"type\":\"Property\",\"value\":" + new string('9', 100_000) + "}}",
            "{\"id\":\"not a uri\",\"type\":\"T\"}", "{\"id\":\"urn:x:1\"}", "{\"type\":7}", "{\"id\":\"urn:x:1\",\"type\":\"\"}",
            "{\"id\":\"urn:x:1\",\"type\":\"T\",\"a\":{\"type\":\"Propertyy\",\"value\":1}}", "{\"id\":\"urn:x:1\",\"type\":\"T\",\"a\":{\"type\":\"Property\"}}",
            "{\"id\":\"urn:x:1\",\"type\":\"T\",\"r\":{\"type\":\"Relationship\",\"object\":\"not a uri\"}}",
            "{\"id\":\"urn:x:1\",\"type\":\"T\",\"location\":{\"type\":\"GeoProperty\",\"value\":{\"type\":\"Polygon\",\"coordinates\":" + OpenRing(100_000) + "}}}",
            "{\"id\":\"urn:x:1\",\"type\":\"T\",\"location\":{\"type\":\"GeoProperty\",\"value\":{\"type\":\"Point\",\"coordinates\":[1e400,0]}}}",
            "{\"id\":\"urn:x:1\",\"type\":\"T\",\"location\":{\"type\":\"GeoProperty\",\"value\":{\"type\":\"Point\",\"coordinates\":[\"a\",\"b\"]}}}",
            "{\"id\":\"urn:x:1\",\"type\":\"T\",\"location\":{\"type\":\"GeoProperty\",\"value\":{\"type\":\"Hexagon\",\"coordinates\":[0,0]}}}",
            "{\"id\":\"urn:x:1\",\"type\":\"T\",\"@context\":\"http://169.254.169.254/latest/meta-data\"}",
            "{\"id\":\"urn:x:1\",\"type\":\"T\",\"@context\":\"file:///etc/passwd\"}",
            "{\"id\":\"urn:x:1\",\"type\":\"T\",\"@context\":{\"@version\":99}}",
            "{\"id\":\"urn:x:1\",\"type\":\"T\",\"a\":{\"type\":\"Property\",\"value\":1,\"observedAt\":\"yesterday\"}}",
            "{\"id\":\"urn:x:1\",\"type\":\"T\",\"a\":{\"type\":\"Property\",\"value\":1,\"datasetId\":\"not a uri\"}}",
            "[{\"id\":\"urn:x:1\"," + new string(' ', 1000) + "]", "[1,2,3]", "[null]", "\"just a string\"", "42", "true",
        }.Select(Encoding.UTF8.GetBytes),
        [0xC3, 0x28], [0xFF, 0xFE, 0x00, 0x7B], [0x7B, 0x22, 0x69, 0x64, 0x22, 0x3A, 0x22, 0xED, 0xA0, 0x80, 0x22, 0x7D], [0x00, 0x00, 0x00],
        [.. "{\"id\":\"urn:x:1\",\"type\":\""u8, 0xC0, 0xAF, .. "\"}"u8],
        Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("{\"a\":", 65)) + "1" + new string('}', 65)),
        Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("[", 100_000)) + new string(']', 100_000)),
        Encoding.UTF8.GetBytes("{\"id\":\"urn:x:1\",\"type\":\"T\",\"a\":{\"type\":\"Property\",\"value\":" + string.Concat(Enumerable.Repeat("{\"b\":", 70)) + "1" + new string('}', 70) + "}}"),
    ];

    private static Gen<string?> TenantGen => Gen.Elements(Tenants.Concat(
        ["fuzz-luebeck\r\nX-Injected: 1", "../../etc", "a;DROP TABLE entities", new string('t', 1000), "tenant with spaces", "日本", ":", "%0d%0a", "", "fuzz-luebeck,fuzz-schwartau"]).ToArray());

    // Every variant is made once, so the generated requests share their (large) strings.
    private static readonly string[] IdVariants =
        [.. Ids, .. Ids.Select(Uri.EscapeDataString), .. HostileStrings.Select(s => "urn:ngsi-ld:X:" + Uri.EscapeDataString(s))];

    private static readonly string[] QueryVariants =
    [
        .. QueryBombs.Select(q => "q=" + Uri.EscapeDataString(q)),
        .. QueryBombs.Select(q => "q=" + q.Replace("&", "%26", StringComparison.Ordinal).Replace("#", "%23", StringComparison.Ordinal)),
        .. GeoBombs, .. OtherParameters,
    ];

    private static Gen<string> IdGen => Gen.Elements(IdVariants);

    private static Gen<string> QueryGen => Gen.Elements(QueryVariants);

    private static Gen<HostileRequest> Reads =>
        from tenant in TenantGen
        from query in QueryGen
        from path in Gen.Elements("/ngsi-ld/v1/entities?type=Seed&", "/ngsi-ld/v1/entities?", "/ngsi-ld/v1/temporal/entities?type=Seed&timerel=after&timeAt=2020-01-01T00:00:00Z&",
            "/ngsi-ld/v1/types?", "/ngsi-ld/v1/attributes?", "/ngsi-ld/v1/subscriptions?", "/ngsi-ld/v1/csourceRegistrations?type=Seed&")
        select new HostileRequest("query", "GET", path + query, tenant, null, null);

    private static Gen<HostileRequest> ByHostileId =>
        from tenant in TenantGen
        from id in IdGen
        from method in Gen.Elements("GET", "DELETE", "PATCH", "PUT", "POST")
        from resource in Gen.Elements("/ngsi-ld/v1/entities/{0}", "/ngsi-ld/v1/entities/{0}/attrs", "/ngsi-ld/v1/entities/{0}/attrs/name",
            "/ngsi-ld/v1/temporal/entities/{0}", "/ngsi-ld/v1/subscriptions/{0}", "/ngsi-ld/v1/csourceRegistrations/{0}", "/ngsi-ld/v1/jsonldContexts/{0}",
            "/ngsi-ld/v1/csourceSubscriptions/{0}", "/ngsi-ld/v1/types/{0}", "/ngsi-ld/v1/attributes/{0}")
        from body in Gen.Elements(BadBodies)
        select new HostileRequest("hostile id", method, string.Format(System.Globalization.CultureInfo.InvariantCulture, resource, id), tenant,
            method is "GET" or "DELETE" ? null : "application/json", method is "GET" or "DELETE" ? null : body);

    private static Gen<HostileRequest> BadWrites =>
        from tenant in TenantGen
        from target in Gen.Elements(
            ("POST", "/ngsi-ld/v1/entities"), ("POST", "/ngsi-ld/v1/entityOperations/create"), ("POST", "/ngsi-ld/v1/entityOperations/upsert"),
            ("POST", "/ngsi-ld/v1/entityOperations/update"), ("POST", "/ngsi-ld/v1/entityOperations/merge"), ("POST", "/ngsi-ld/v1/entityOperations/delete"),
            ("POST", "/ngsi-ld/v1/entityOperations/query"), ("POST", "/ngsi-ld/v1/temporal/entities"), ("POST", "/ngsi-ld/v1/temporal/entityOperations/query"),
            ("POST", "/ngsi-ld/v1/subscriptions"), ("POST", "/ngsi-ld/v1/csourceRegistrations"), ("POST", "/ngsi-ld/v1/csourceSubscriptions"),
            ("POST", "/ngsi-ld/v1/jsonldContexts"), ("PATCH", "/ngsi-ld/v1/entities/" + SeedPrefix + "1/attrs"), ("PUT", "/ngsi-ld/v1/entities/" + SeedPrefix + "1"),
            ("PATCH", "/ngsi-ld/v1/entities/" + SeedPrefix + "1"), ("POST", "/ngsi-ld/v1/entities/" + SeedPrefix + "1/attrs"), ("DELETE", "/ngsi-ld/v1/entities?type=Seed&keep=name&drop=name"))
        from body in Gen.Elements(BadBodies)
        from contentType in Gen.Frequency((8, Gen.Constant<string?>("application/json")), (2, Gen.Constant<string?>("application/ld+json")),
            (1, Gen.Elements<string?>("text/plain", "application/xml", "application/json; charset=latin1", "multipart/form-data; boundary=x", null, "application/merge-patch+json")))
        select new HostileRequest("bad write", target.Item1, target.Item2, tenant, contentType, target.Item1 == "DELETE" ? null : body);

    public static Gen<HostileRequest> Any => Gen.Frequency((3, Reads), (3, ByHostileId), (4, BadWrites));

    /// <summary>
    /// The same requests on every run and store (so a failure can be replayed), as FsCheck generates them from fixed
    /// seeds, a few hundred at a time (their paths hold large strings).
    /// </summary>
    public static IEnumerable<HostileRequest> Sample()
    {
        for (ulong chunk = 0; ; chunk++)
        {
            foreach (var request in Any.Sample(250, new Rnd(20261207 + chunk), 30))
                yield return request;
        }
    }
}
