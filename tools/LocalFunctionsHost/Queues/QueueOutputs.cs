using System.Text.Json;
using Google.Protobuf;
using LocalFunctionsHost.Configuration;
using LocalFunctionsHost.Protocol;

namespace LocalFunctionsHost.Queues;

/// <summary>
/// Writes a successful invocation's queue outputs: <c>$return</c> from <c>return_value</c>, others from
/// <c>output_data</c> by name; a JSON array or a collection becomes one message per element.
/// </summary>
internal sealed class QueueOutputs(QueueClients clients)
{
    public async Task WriteAsync(FunctionDescription function, InvocationResponse response, CancellationToken cancellationToken)
    {
        foreach (var binding in function.QueueOutputs)
        {
            var data = binding.Name == "$return"
                ? response.ReturnValue
                : response.OutputData.FirstOrDefault(o => string.Equals(o.Name, binding.Name, StringComparison.OrdinalIgnoreCase))?.Data;
            var messages = Messages(data).ToList();
            if (messages.Count == 0)
            {
                continue;
            }

            var queue = await clients.GetAsync(binding.Text("connection"), binding.Text("queueName") ?? "", encoded: true, cancellationToken).ConfigureAwait(false);
            foreach (var message in messages)
            {
                await queue.SendMessageAsync(message, cancellationToken: cancellationToken).ConfigureAwait(false);
            }
        }
    }

    internal static IEnumerable<BinaryData> Messages(TypedData? data)
    {
        switch (data?.DataCase)
        {
            case TypedData.DataOneofCase.String:
                yield return BinaryData.FromString(data.String);
                break;
            case TypedData.DataOneofCase.Bytes:
                yield return BinaryData.FromBytes(data.Bytes.ToByteArray());
                break;
            case TypedData.DataOneofCase.Stream:
                yield return BinaryData.FromBytes(data.Stream.ToByteArray());
                break;
            case TypedData.DataOneofCase.Int:
                yield return BinaryData.FromString(data.Int.ToString(System.Globalization.CultureInfo.InvariantCulture));
                break;
            case TypedData.DataOneofCase.Double:
                yield return BinaryData.FromString(data.Double.ToString(System.Globalization.CultureInfo.InvariantCulture));
                break;
            case TypedData.DataOneofCase.Json:
                using (var document = JsonDocument.Parse(data.Json))
                {
                    if (document.RootElement.ValueKind == JsonValueKind.Array)
                    {
                        foreach (var element in document.RootElement.EnumerateArray())
                        {
                            yield return BinaryData.FromString(element.ValueKind == JsonValueKind.String ? element.GetString()! : element.GetRawText());
                        }
                    }
                    else if (document.RootElement.ValueKind != JsonValueKind.Null)
                    {
                        yield return BinaryData.FromString(document.RootElement.ValueKind == JsonValueKind.String ? document.RootElement.GetString()! : data.Json);
                    }
                }

                break;
            case TypedData.DataOneofCase.CollectionString:
                foreach (var s in data.CollectionString.String)
                {
                    yield return BinaryData.FromString(s);
                }

                break;
            case TypedData.DataOneofCase.CollectionBytes:
                foreach (ByteString b in data.CollectionBytes.Bytes)
                {
                    yield return BinaryData.FromBytes(b.ToByteArray());
                }

                break;
            default:
                break;
        }
    }
}
