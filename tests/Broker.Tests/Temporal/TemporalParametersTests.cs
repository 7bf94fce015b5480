using Broker.Api.Temporal;
using Broker.Problems;
using Broker.Temporal;
using Microsoft.AspNetCore.Http;
using NodaTime;
using Ontology.JsonLd;
using Xunit;

namespace Broker.Tests.Temporal;

/// <summary>
/// Parsing the temporal query and the temporal options (<see cref="TemporalParameters"/>, clauses 4.11, 4.5.19, 6.3.12):
/// what each valid combination means, and that each invalid one is refused with BadRequestData (or InvalidRequest for
/// unknown options and formats) and a detail naming what is wrong.
/// </summary>
public sealed class TemporalParametersTests
{
    private static TemporalParameters.TimeSelectors Selectors(string? timerel = null, string? timeAt = null, string? endTimeAt = null, string? timeproperty = null, string? lastN = null) =>
        new(timerel, timeAt, endTimeAt, timeproperty, lastN);

    private static NgsiLdException Refused(Action parse, ErrorType type, string named)
    {
        var error = Assert.Throws<NgsiLdException>(parse);
        Assert.Equal(type, error.Type);
        Assert.Contains(named, error.Detail, StringComparison.Ordinal);
        return error;
    }

    [Fact]
    public void No_temporal_parameters_mean_the_whole_history_by_observedAt()
    {
        var filter = TemporalParameters.Time(Selectors());

        Assert.Equal(new TimeFilter(TimeProperty.ObservedAt), filter);
        Assert.Null(TemporalParameters.LastN(Selectors()));
    }

    [Theory]
    [InlineData("observedAt", TimeProperty.ObservedAt)]
    [InlineData("createdAt", TimeProperty.CreatedAt)]
    [InlineData("modifiedAt", TimeProperty.ModifiedAt)]
    [InlineData("deletedAt", TimeProperty.DeletedAt)]
    public void Each_timeproperty_is_known(string name, TimeProperty property) =>
        Assert.Equal(property, TemporalParameters.Time(Selectors(timeproperty: name)).Property);

    [Fact]
    public void Timerel_and_its_instants_are_parsed_to_UTC()
    {
        var before = TemporalParameters.Time(Selectors("before", "2024-03-01T01:00:00+01:00"));
        var between = TemporalParameters.Time(Selectors("between", "2024-03-01T00:00:00Z", "2024-03-02T00:00:00.5Z", "modifiedAt"));

        Assert.Equal(TimeRelation.Before, before.Relation);
        Assert.Equal(new DateTimeOffset(2024, 3, 1, 0, 0, 0, TimeSpan.Zero), before.TimeAt);
        Assert.Equal(TimeRelation.Between, between.Relation);
        Assert.Equal(new DateTimeOffset(2024, 3, 2, 0, 0, 0, 500, TimeSpan.Zero), between.EndTimeAt);
        Assert.Equal(TimeProperty.ModifiedAt, between.Property);
    }

    [Fact]
    public void Instants_are_kept_to_the_microsecond()
    {
        var filter = TemporalParameters.Time(Selectors("after", "2024-03-01T00:00:00.1234567Z"));

        Assert.Equal(new DateTimeOffset(2024, 3, 1, 0, 0, 0, TimeSpan.Zero).AddTicks(1234560), filter.TimeAt);
    }

    [Theory]
    [InlineData("before", null, null, "timeAt")]
    [InlineData("after", null, null, "timeAt")]
    [InlineData("between", null, "2024-03-02T00:00:00Z", "timeAt")]
    [InlineData("between", "2024-03-01T00:00:00Z", null, "endTimeAt")]
    [InlineData("between", "2024-03-02T00:00:00Z", "2024-03-01T00:00:00Z", "endTimeAt")]
    [InlineData("between", "2024-03-01T00:00:00Z", "2024-03-01T00:00:00Z", "endTimeAt")]
    [InlineData("after", "2024-03-01T00:00:00Z", "2024-03-02T00:00:00Z", "endTimeAt")]
    [InlineData("before", "2024-03-01T00:00:00Z", "2024-03-02T00:00:00Z", "endTimeAt")]
    [InlineData(null, "2024-03-01T00:00:00Z", null, "timerel")]
    [InlineData(null, null, "2024-03-01T00:00:00Z", "timerel")]
    [InlineData("during", "2024-03-01T00:00:00Z", null, "timerel")]
    [InlineData("Before", "2024-03-01T00:00:00Z", null, "timerel")]
    [InlineData("before", "2024-03-01", null, "timeAt")]
    [InlineData("before", "2024-03-01T00:00:00", null, "timeAt")]
    [InlineData("before", "tomorrow", null, "timeAt")]
    [InlineData("between", "2024-03-01T00:00:00Z", "2024-02-30T00:00:00Z", "endTimeAt")]
    public void Invalid_temporal_queries_are_refused(string? timerel, string? timeAt, string? endTimeAt, string named) =>
        Refused(() => TemporalParameters.Time(Selectors(timerel, timeAt, endTimeAt)), ErrorType.BadRequestData, named);

    [Theory]
    [InlineData("seenAt")]
    [InlineData("observedat")]
    [InlineData("")]
    public void An_unknown_timeproperty_is_refused(string name) =>
        Refused(() => TemporalParameters.Time(Selectors(timeproperty: name)), ErrorType.BadRequestData, "timeproperty");

    [Theory]
    [InlineData("1", 1)]
    [InlineData("25", 25)]
    public void LastN_is_a_positive_integer(string text, int expected) =>
        Assert.Equal(expected, TemporalParameters.LastN(Selectors(lastN: text)));

    [Theory]
    [InlineData("0")]
    [InlineData("-1")]
    [InlineData("+3")]
    [InlineData("1.5")]
    [InlineData("three")]
    [InlineData("")]
    [InlineData("99999999999")]
    public void LastN_other_than_a_positive_integer_is_refused(string text) =>
        Refused(() => TemporalParameters.LastN(Selectors(lastN: text)), ErrorType.BadRequestData, "lastN");

    [Fact]
    public void Every_aggregation_method_is_known_and_repeated_ones_count_once()
    {
        var methods = TemporalParameters.Methods(["totalCount", "distinctCount", "sum", "avg", "min", "max", "stddev", "sumsq", "sum"]);

        Assert.Equal(Enum.GetValues<AggregationMethod>(), methods);
    }

    [Theory]
    [InlineData("median")]
    [InlineData("Sum")]
    [InlineData("count")]
    [InlineData("")]
    public void An_unknown_aggregation_method_is_refused_by_name(string name) =>
        Refused(() => TemporalParameters.Methods(["sum", name]), ErrorType.BadRequestData, $"'{name}'");

    [Theory]
    [InlineData("PT1H", 0, 0, 1, 0)]
    [InlineData("P1D", 0, 1, 0, 0)]
    [InlineData("P1M", 1, 0, 0, 0)]
    [InlineData("PT15M", 0, 0, 0, 15)]
    [InlineData("P1DT12H", 0, 1, 12, 0)]
    public void Durations_are_ISO_8601_periods(string text, int months, int days, int hours, int minutes)
    {
        var period = TemporalParameters.Duration(text);

        Assert.NotNull(period);
        Assert.Equal(Period.FromMonths(months) + Period.FromDays(days) + Period.FromHours(hours) + Period.FromMinutes(minutes), period!.Normalize());
    }

    [Fact]
    public void A_zero_or_missing_duration_means_one_period()
    {
        Assert.Null(TemporalParameters.Duration(null));
        Assert.Null(TemporalParameters.Duration("P0D"));
        Assert.Null(TemporalParameters.Duration("PT0S"));
    }

    [Theory]
    [InlineData("1H")]
    [InlineData("PT1X")]
    [InlineData("P")]
    [InlineData("PT")]
    [InlineData("P-1D")]
    [InlineData("-P1D")]
    [InlineData("one hour")]
    public void Invalid_durations_are_refused(string text) =>
        Refused(() => TemporalParameters.Duration(text), ErrorType.BadRequestData, "aggrPeriodDuration");

    [Theory]
    [InlineData(null, false)]
    [InlineData("id", false)]
    [InlineData("id;asc", false)]
    [InlineData("id;desc", true)]
    [InlineData("name;desc", false)]
    public void OrderBy_id_desc_is_told_apart_from_other_orders(string? orderBy, bool idsDescending) =>
        Assert.Equal(idsDescending, new TemporalQuery { Entities = new(), Order = TemporalParameters.OrderBy(orderBy, name => "urn:t:" + name) }.IdsDescending);

    [Theory]
    [InlineData("id;down")]
    [InlineData("name,,id")]
    [InlineData("")]
    public void A_malformed_orderBy_is_refused(string orderBy) =>
        Refused(() => TemporalParameters.OrderBy(orderBy, name => "urn:t:" + name), ErrorType.BadRequestData, "orderBy");

    // ---- Options ----

    private static (TemporalParameters.Representation Representation, Aggregation? Aggregation) Options(string query)
    {
        var http = new DefaultHttpContext();
        http.Request.QueryString = new QueryString("?" + query);
        return TemporalParameters.Options(http.Request, JsonLdContext.Core);
    }

    [Theory]
    [InlineData("", TemporalFormat.Normalized)]
    [InlineData("options=temporalValues", TemporalFormat.TemporalValues)]
    [InlineData("options=simplified", TemporalFormat.TemporalValues)]
    [InlineData("options=keyValues", TemporalFormat.TemporalValues)]
    [InlineData("format=temporalValues", TemporalFormat.TemporalValues)]
    [InlineData("format=normalized&options=temporalValues", TemporalFormat.Normalized)]
    [InlineData("format=temporalValues&options=aggregatedValues&aggrMethods=sum", TemporalFormat.TemporalValues)]
    [InlineData("options=sysAttrs", TemporalFormat.Normalized)]
    public void The_format_comes_from_format_before_options(string query, TemporalFormat format) =>
        Assert.Equal(format, Options(query).Representation.Format);

    [Fact]
    public void AggregatedValues_carries_its_methods_and_duration()
    {
        var (representation, aggregation) = Options("options=aggregatedValues,sysAttrs&aggrMethods=max,avg&aggrPeriodDuration=P1D");

        Assert.Equal(TemporalFormat.AggregatedValues, representation.Format);
        Assert.True(representation.SysAttrs);
        Assert.NotNull(aggregation);
        Assert.Equal([AggregationMethod.Max, AggregationMethod.Avg], aggregation!.Methods);
        Assert.Equal(Period.FromDays(1), aggregation.PeriodDuration);
    }

    [Fact]
    public void Aggregation_parameters_are_ignored_unless_the_format_aggregates()
    {
        var (_, aggregation) = Options("aggrMethods=median&aggrPeriodDuration=nonsense");

        Assert.Null(aggregation);
    }

    [Fact]
    public void DatasetId_lists_the_datasets_to_keep()
    {
        var (representation, _) = Options("datasetId=@none,urn:ngsi-ld:Dataset:a");

        Assert.Equal(["@none", "urn:ngsi-ld:Dataset:a"], representation.Instances.DatasetIds!.Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData("options=aggregatedValues", "aggrMethods", false)]
    [InlineData("options=aggregatedValues&aggrMethods=", "aggrMethods", false)]
    [InlineData("options=aggregatedValues&aggrMethods=avg&aggrPeriodDuration=PT1Y", "aggrPeriodDuration", false)]
    [InlineData("options=temporalValues,aggregatedValues&aggrMethods=sum", "exclude", false)]
    [InlineData("options=aggregatedValues,temporalValues&aggrMethods=sum", "exclude", false)]
    [InlineData("options=history", "history", true)]
    [InlineData("format=csv", "csv", true)]
    public void Invalid_options_are_refused(string query, string named, bool invalidRequest) =>
        Refused(() => Options(query), invalidRequest ? ErrorType.InvalidRequest : ErrorType.BadRequestData, named);
}
