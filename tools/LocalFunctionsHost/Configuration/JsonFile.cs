using System.Text.Json;
using System.Text.Json.Nodes;

namespace LocalFunctionsHost.Configuration;

/// <summary>Reads the JSON files Core Tools reads, which allow comments and trailing commas.</summary>
internal static class JsonFile
{
    private static readonly JsonDocumentOptions Lenient = new() { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true };

    public static JsonNode? Parse(string path)
    {
        try
        {
            return JsonNode.Parse(File.ReadAllText(path), documentOptions: Lenient);
        }
        catch (JsonException e)
        {
            throw new LocalHostException($"{path} is not valid JSON: {e.Message}", e);
        }
    }
}
