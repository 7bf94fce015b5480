using System.Net;
using Xunit;

namespace Broker.HttpTests.Temporal;

/// <summary>
/// Clear errors of the temporal resources (issue 11; clause 4.11, 4.5.19, 6.3.2): each invalid temporal query is 400 with
/// the BadRequestData ProblemDetails whose detail names what is wrong, an unknown parameter is 400 InvalidRequest, an
/// unknown history 404 ResourceNotFound, on retrieval and on query alike.
/// </summary>
public sealed class ErrorTests(BrokerFactory factory) : TemporalTest<BrokerFactory>(factory)
{
    public static TheoryData<string, string> InvalidTemporalQueries => new()
    {
        { "timerel=before", "timeAt" },
        { "timerel=after", "timeAt" },
        { "timerel=between&endTimeAt=2024-03-02T00:00:00Z", "timeAt" },
        { "timerel=between&timeAt=2024-03-01T00:00:00Z", "endTimeAt" },
        { "timerel=after&timeAt=2024-03-01T00:00:00Z&endTimeAt=2024-03-02T00:00:00Z", "endTimeAt" },
        { "timerel=before&timeAt=2024-03-01T00:00:00Z&endTimeAt=2024-03-02T00:00:00Z", "endTimeAt" },
        { "timeAt=2024-03-01T00:00:00Z", "timerel" },
        { "endTimeAt=2024-03-01T00:00:00Z", "timerel" },
        { "timerel=between&timeAt=2024-03-02T00:00:00Z&endTimeAt=2024-03-01T00:00:00Z", "endTimeAt" },
        { "timerel=between&timeAt=2024-03-01T00:00:00Z&endTimeAt=2024-03-01T00:00:00Z", "endTimeAt" },
        { "timerel=during&timeAt=2024-03-01T00:00:00Z", "timerel" },
        { "timerel=before&timeAt=yesterday", "timeAt" },
        { "timerel=before&timeAt=2024-13-01T00:00:00Z", "timeAt" },
        { "timerel=between&timeAt=2024-03-01T00:00:00Z&endTimeAt=soon", "endTimeAt" },
        { "timeproperty=seenAt", "timeproperty" },
        { "timeproperty=ObservedAt", "timeproperty" },
        { "lastN=0", "lastN" },
        { "lastN=-1", "lastN" },
        { "lastN=two", "lastN" },
        { "lastN=1.5", "lastN" },
        { "options=aggregatedValues", "aggrMethods" },
        { "options=aggregatedValues&aggrMethods=median", "median" },
        { "options=aggregatedValues&aggrMethods=sum,Sum", "Sum" },
        { "options=aggregatedValues&aggrMethods=sum&aggrPeriodDuration=PT1X", "aggrPeriodDuration" },
        { "options=aggregatedValues&aggrMethods=sum&aggrPeriodDuration=1 hour", "aggrPeriodDuration" },
        { "options=aggregatedValues&aggrMethods=sum&aggrPeriodDuration=-PT1H", "aggrPeriodDuration" },
    };

    [Theory]
    [MemberData(nameof(InvalidTemporalQueries))]
    public async Task An_invalid_temporal_retrieval_is_400_naming_the_parameter(string query, string named)
    {
        var id = await SeriesAsync(NewType(), "v", [(T0, 1)]);

        var problem = await AssertProblem(await GetAsync(TemporalPath(id) + "?" + Escape(query)), HttpStatusCode.BadRequest, "BadRequestData");

        Assert.Contains(named, (string?)problem["detail"], StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(InvalidTemporalQueries))]
    public async Task An_invalid_temporal_query_is_400_naming_the_parameter(string query, string named)
    {
        var type = NewType();
        await SeriesAsync(type, "v", [(T0, 1)]);

        var problem = await AssertProblem(await GetAsync($"{TemporalEntities}?type={type}&{Escape(query)}"), HttpStatusCode.BadRequest, "BadRequestData");

        Assert.Contains(named, (string?)problem["detail"], StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("frobnicate=1")]
    [InlineData("georel=near&geometry=Point&coordinates=[1,2]&foo=bar")]
    [InlineData("expandValues=x")]
    public async Task An_unknown_parameter_is_400_InvalidRequest(string query)
    {
        var type = NewType();
        var id = await SeriesAsync(type, "v", [(T0, 1)]);

        await AssertProblem(await GetAsync($"{TemporalEntities}?type={type}&{Escape(query)}"), HttpStatusCode.BadRequest, "InvalidRequest");
        await AssertProblem(await GetAsync($"{TemporalPath(id)}?{Escape(query)}"), HttpStatusCode.BadRequest, "InvalidRequest");
    }

    [Fact]
    public async Task Query_parameters_of_entity_selection_are_not_allowed_on_retrieval()
    {
        var type = NewType();
        var id = await SeriesAsync(type, "v", [(T0, 1)]);

        await AssertProblem(await GetAsync($"{TemporalPath(id)}?type={type}"), HttpStatusCode.BadRequest, "InvalidRequest");
        await AssertProblem(await GetAsync($"{TemporalPath(id)}?limit=1"), HttpStatusCode.BadRequest, "InvalidRequest");
    }

    [Theory]
    [InlineData("")]
    [InlineData("timerel=before&timeAt=2024-03-01T00:00:00Z")]
    [InlineData("limit=5")]
    public async Task A_query_without_an_entity_selector_is_400(string query)
    {
        await SeriesAsync(NewType(), "v", [(T0, 1)]);

        await AssertProblem(await GetAsync($"{TemporalEntities}?{query}"), HttpStatusCode.BadRequest, "BadRequestData");
    }

    [Theory]
    [InlineData("limit=-1")]
    [InlineData("offset=-1")]
    [InlineData("count=maybe")]
    [InlineData("idPattern=%5B")]
    public async Task An_invalid_paging_or_selection_parameter_is_400(string query)
    {
        var type = NewType();
        await SeriesAsync(type, "v", [(T0, 1)]);

        await AssertProblem(await GetAsync($"{TemporalEntities}?type={type}&{query}"), HttpStatusCode.BadRequest, "BadRequestData");
    }

    [Fact]
    public async Task An_unknown_history_is_404()
    {
        await SeriesAsync(NewType(), "v", [(T0, 1)]);

        await AssertProblem(await GetAsync(TemporalPath(NewId())), HttpStatusCode.NotFound, "ResourceNotFound");
    }

    [Fact]
    public async Task An_entity_id_that_is_not_a_uri_is_400()
    {
        await SeriesAsync(NewType(), "v", [(T0, 1)]);

        await AssertProblem(await GetAsync($"{TemporalEntities}/not%20a%20uri"), HttpStatusCode.BadRequest, "BadRequestData");
    }

    [Fact]
    public async Task A_query_that_matches_nothing_is_200_and_empty()
    {
        await SeriesAsync(NewType(), "v", [(T0, 1)]);

        Assert.Empty(await QueryTemporalAsync($"type={NewType()}"));
    }

    /// <summary>The query with each value escaped (names and '=' kept), so that spaces, '+' and brackets arrive as written.</summary>
    private static string Escape(string query) => string.Join('&', query.Split('&').Select(pair =>
    {
        var equals = pair.IndexOf('=', StringComparison.Ordinal);
        return equals < 0 ? pair : pair[..(equals + 1)] + Uri.EscapeDataString(pair[(equals + 1)..]);
    }));
}
