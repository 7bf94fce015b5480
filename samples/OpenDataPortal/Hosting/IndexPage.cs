using System.Globalization;
using System.Net;
using System.Text;
using OpenDataPortal.Publishing;

namespace OpenDataPortal.Hosting;

/// <summary>The portal's start page: every dataset with its size, last change and the links to its files.</summary>
public static class IndexPage
{
    public static string Write(DatasetCatalog catalog, PortalOptions portal)
    {
        var html = new StringBuilder();
        html.Append("""
            <!doctype html>
            <html lang="de">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>Offene Daten Lübeck</title>
            <style>
            body { font-family: system-ui, sans-serif; margin: 0; color: #1b1f23; background: #f6f7f9; }
            header { background: #9b1c20; color: #fff; padding: .8rem 1.4rem; }
            h1 { margin: 0; font-size: 1.4rem; }
            main { padding: 1rem 1.4rem; display: grid; grid-template-columns: repeat(auto-fill, minmax(22rem, 1fr)); gap: 1rem; }
            article { background: #fff; border: 1px solid #d5d9de; border-radius: 6px; padding: .8rem 1rem; }
            h2 { font-size: 1.1rem; margin: 0 0 .4rem; }
            ul { padding-left: 1.2rem; }
            .meta { color: #555; font-size: .9rem; }
            </style>
            </head>
            <body>
            <header><h1>Offene Daten der Hansestadt Lübeck</h1><p>Aktuelle Daten der urbanen Datenplattform, lizenziert unter der Datenlizenz Deutschland – Namensnennung 2.0. <a href="catalog.jsonld" style="color:#fff">DCAT-AP.de-Katalog</a></p></header>
            <main>

            """);
        foreach (var dataset in catalog.Definitions)
        {
            var name = dataset.Name;
            var modified = catalog.Modified(name) is { } at ? at.UtcDateTime.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture) : "noch nie";
            html.Append(CultureInfo.InvariantCulture, $"""
                <article aria-labelledby="{name}">
                <h2 id="{name}">{Encode(dataset.Title)}</h2>
                <p>{Encode(dataset.Description)}</p>
                <p class="meta">{catalog.Current(name).Count} Objekte · zuletzt geändert {modified}</p>
                <ul>
                <li><a href="datasets/{name}.geojson">Aktueller Zustand (GeoJSON)</a></li>
                <li><a href="datasets/{name}.jsonld">Metadaten (DCAT-AP.de, JSON-LD)</a></li>

                """);
            foreach (var day in catalog.Days(name).Reverse().Take(7))
                html.Append(CultureInfo.InvariantCulture, $"<li><a href=\"datasets/{name}/history/{day:yyyy-MM-dd}.csv\">Verlauf vom {day:yyyy-MM-dd} (CSV)</a></li>\n");
            html.Append("</ul>\n</article>\n");
        }
        html.Append(CultureInfo.InvariantCulture, $"</main>\n<footer style=\"padding:0 1.4rem 1rem;color:#555\">Herausgeber: {Encode(portal.Publisher)}</footer>\n</body>\n</html>\n");
        return html.ToString();
    }

    private static string Encode(string text) => WebUtility.HtmlEncode(text);
}
