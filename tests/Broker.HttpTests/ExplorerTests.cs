using System.Net;
using Xunit;

namespace Broker.HttpTests;

/// <summary>A broker that serves the explorer (Explorer:Enabled=true).</summary>
public sealed class ExplorerBrokerFactory : BrokerFactory
{
    public ExplorerBrokerFactory() : base(new Dictionary<string, string> { ["Explorer:Enabled"] = "true" })
    {
    }
}

/// <summary>Without Explorer:Enabled the broker has no /explorer resource at all.</summary>
public sealed class ExplorerDisabledTests(BrokerFactory factory) : BrokerTest<BrokerFactory>(factory)
{
    [Theory]
    [InlineData("/explorer")]
    [InlineData("/explorer/")]
    [InlineData("/explorer/explorer.js")]
    public async Task The_explorer_is_404_unless_enabled(string path)
    {
        using var response = await Client.GetAsync(new Uri(path, UriKind.Relative));
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }
}

/// <summary>With Explorer:Enabled the page and its files are served from the assembly, each under the Content-Security-Policy.</summary>
public sealed class ExplorerTests(ExplorerBrokerFactory factory) : BrokerTest<ExplorerBrokerFactory>(factory)
{
    [Fact]
    public async Task The_explorer_page_is_html()
    {
        using var response = await Client.GetAsync(new Uri("/explorer/", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("<!doctype html>", await response.Content.ReadAsStringAsync(), StringComparison.OrdinalIgnoreCase);
    }

    [Theory]
    [InlineData("/explorer/", "text/html")]
    [InlineData("/explorer/index.html", "text/html")]
    [InlineData("/explorer/explorer.js", "text/javascript")]
    [InlineData("/explorer/explorer.css", "text/css")]
    public async Task Every_file_of_the_explorer_carries_the_content_security_policy(string path, string mediaType)
    {
        using var response = await Client.GetAsync(new Uri(path, UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(mediaType, response.Content.Headers.ContentType?.MediaType);
        var policy = Assert.Single(response.Headers.GetValues("Content-Security-Policy"));
        Assert.Contains("default-src 'none'", policy, StringComparison.Ordinal);
        Assert.Contains("script-src 'self'", policy, StringComparison.Ordinal);
        Assert.Contains("connect-src 'self'", policy, StringComparison.Ordinal);
        Assert.Equal("nosniff", Assert.Single(response.Headers.GetValues("X-Content-Type-Options")));
    }

    [Fact]
    public async Task Explorer_without_the_slash_is_redirected_keeping_the_query()
    {
        using var client = Factory.CreateClient(new Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        using var response = await client.GetAsync(new Uri("/explorer?tenant=t1", UriKind.Relative));
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/explorer/?tenant=t1", response.Headers.Location?.OriginalString);
    }

    [Fact]
    public async Task A_file_the_explorer_does_not_have_is_404()
    {
        using var response = await Client.GetAsync(new Uri("/explorer/secrets.json", UriKind.Relative));
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }
}
