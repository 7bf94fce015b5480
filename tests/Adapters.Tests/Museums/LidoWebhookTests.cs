using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Adapters.Core;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace Adapters.Tests.Museums;

public sealed class LidoWebhookTests(WebApplicationFactory<Program> factory) : IClassFixture<WebApplicationFactory<Program>>
{
    private readonly RecordingSink sink = new();

    private HttpClient Client() => factory.WithWebHostBuilder(host => host.ConfigureTestServices(services => services.AddSingleton<IEntitySink>(sink))).CreateClient();

    private static StringContent Xml(string body) => new(body, Encoding.UTF8, "application/xml");

    [Fact]
    public async Task A_LIDO_document_is_submitted_and_answered_with_202()
    {
        using var client = Client();
        var body = ReferenceData.ReadSourceFormat("museum-collections/lido/examples/LIDO-v1.1-Example_FMobj20344012-Fontana_del_Moro.xml");
        var response = await client.PostAsync("/museums/lido", Xml(body));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var answer = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal(3, (int)answer["records"]!);
        Assert.Equal(3, (int)answer["submitted"]!);
        var submission = Assert.Single(sink.Submitted);
        Assert.Equal(body, submission.Original);
        Assert.Equal(["urn:ngsi-ld:CollectionObject:DE-Mb112%2Flido%2Fobj20344012", "urn:ngsi-ld:CollectionObject:DE-Mb112%2Flido%2Fobj20344012,T,001", "urn:ngsi-ld:CollectionObject:DE-Mb112%2Flido%2Fobj20344012,T,002"],
            submission.Entities.Select(e => e.Id));
    }

    [Theory]
    [InlineData("not xml")]
    [InlineData("<html><body/></html>")]
    public async Task A_document_that_is_not_LIDO_is_a_400_problem_and_a_dead_letter(string body)
    {
        using var client = Client();
        var response = await client.PostAsync("/museums/lido", Xml(body));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal("Malformed LIDO", (string?)problem["title"]);
        Assert.StartsWith("LIDO: ", (string?)problem["detail"], StringComparison.Ordinal);
        Assert.Empty(sink.Submitted);
        Assert.Equal(body, Assert.Single(sink.Rejected).Original);
    }

    [Fact]
    public async Task Records_without_title_are_rejected_and_listed_while_the_others_are_submitted()
    {
        using var client = Client();
        var body = "<lido:lidoWrap xmlns:lido=\"http://www.lido-schema.org\">"
            + "<lido:lido><lido:lidoRecID>DE-1/1</lido:lidoRecID></lido:lido>"
            + "<lido:lido><lido:lidoRecID>DE-1/2</lido:lidoRecID><lido:descriptiveMetadata xml:lang=\"de\"><lido:objectIdentificationWrap><lido:titleWrap><lido:titleSet>"
            + "<lido:appellationValue>Krug</lido:appellationValue></lido:titleSet></lido:titleWrap></lido:objectIdentificationWrap></lido:descriptiveMetadata></lido:lido>"
            + "</lido:lidoWrap>";
        var response = await client.PostAsync("/museums/lido", Xml(body));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var answer = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        var problem = Assert.Single(answer["problems"]!.AsArray())!;
        Assert.Equal(1, (int)problem["position"]!);
        Assert.Equal("DE-1/1", (string?)problem["lidoRecId"]);
        Assert.Equal("urn:ngsi-ld:CollectionObject:DE-1%2F2", Assert.Single(Assert.Single(sink.Submitted).Entities).Id);
        Assert.StartsWith("record 1: LIDO record 'DE-1/1': no title", Assert.Single(sink.Rejected).Reason, StringComparison.Ordinal);
    }
}
