using LocalFunctionsHost.Configuration;
using LocalFunctionsHost.Protocol;
using LocalFunctionsHost.Queues;
using LocalFunctionsHost.Timers;

namespace LocalFunctionsHost.Tests;

/// <summary>The host's parsing rules, without a worker.</summary>
public sealed class UnitTests
{
    [Fact]
    public void A_six_field_schedule_includes_seconds_and_a_timespan_is_an_interval()
    {
        var start = new DateTimeOffset(2026, 12, 2, 10, 0, 1, TimeSpan.Zero);

        Assert.Equal(start.AddSeconds(1), TimerSchedule.Parse("*/2 * * * * *", "F").Next(start));
        Assert.Equal(new DateTimeOffset(2026, 12, 2, 10, 5, 0, TimeSpan.Zero), TimerSchedule.Parse("0 */5 * * * *", "F").Next(start));
        Assert.Equal(start.AddMinutes(5), TimerSchedule.Parse("00:05:00", "F").Next(start));
        var e = Assert.Throws<LocalHostException>(() => TimerSchedule.Parse("*/5 * * * *", "Nightly"));
        Assert.Contains("Nightly", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unsupported_binding_type_stops_start_up_naming_the_function_and_the_type()
    {
        var metadata = new RpcFunctionMetadata { Name = "Archive" };
        metadata.RawBindings.Add("""{"name":"message","type":"queueTrigger","direction":"In","queueName":"in"}""");
        metadata.RawBindings.Add("""{"name":"$return","type":"blob","direction":"Out","blobPath":"c/{id}"}""");

        var e = Assert.Throws<LocalHostException>(() => FunctionDescription.Create(metadata, Settings()));

        Assert.Contains("'Archive'", e.Message, StringComparison.Ordinal);
        Assert.Contains("'blob'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Binding_expressions_resolve_from_settings_and_a_missing_one_is_named()
    {
        var metadata = new RpcFunctionMetadata { Name = "Work" };
        metadata.RawBindings.Add("""{"name":"message","type":"queueTrigger","direction":"In","queueName":"%Q%"}""");

        Assert.Equal("orders", FunctionDescription.Create(metadata, Settings(("Q", "orders"))).Trigger.Text("queueName"));
        var e = Assert.Throws<LocalHostException>(() => FunctionDescription.Create(metadata, Settings()));
        Assert.Contains("%Q%", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Options_settings_win_a_null_removes_one_and_the_host_sets_the_worker_variables()
    {
        var root = Directory.CreateTempSubdirectory("settings-");
        try
        {
            File.WriteAllText(Path.Combine(root.FullName, "local.settings.json"), """{ "IsEncrypted": false, "Values": { "A": "file", "B": "file", "C": "file", } }""");
            var options = new LocalHostOptions { ScriptRoot = root.FullName, EnvironmentName = "Test" };
            options.Settings["B"] = "options";
            options.Settings["C"] = null;

            var settings = AppSettings.Build(options);

            Assert.Equal("file", settings["A"]);
            Assert.Equal("options", settings["B"]);
            Assert.Null(settings["C"]);
            Assert.Equal("dotnet-isolated", settings["FUNCTIONS_WORKER_RUNTIME"]);
            Assert.Equal(root.FullName, settings["FUNCTIONS_APPLICATION_DIRECTORY"]);
            Assert.Equal(root.FullName, settings["FUNCTIONS_WORKER_DIRECTORY"]);
            Assert.Equal("Test", settings["AZURE_FUNCTIONS_ENVIRONMENT"]);
        }
        finally
        {
            root.Delete(recursive: true);
        }
    }

    [Fact]
    public void A_json_array_output_is_one_message_per_element()
    {
        var messages = QueueOutputs.Messages(new TypedData { Json = """["a",{"b":1},2]""" }).Select(m => m.ToString()).ToList();

        Assert.Equal(["a", """{"b":1}""", "2"], messages);
        Assert.Equal(["x"], QueueOutputs.Messages(new TypedData { String = "x" }).Select(m => m.ToString()));
        Assert.Empty(QueueOutputs.Messages(new TypedData { Json = "null" }));
    }

    [Fact]
    public void Host_json_defaults_follow_the_real_host_and_its_values_are_read()
    {
        var root = Directory.CreateTempSubdirectory("hostjson-");
        try
        {
            var defaults = HostJson.Read(root.FullName);
            Assert.Equal("api", defaults.RoutePrefix);
            Assert.Equal(16, defaults.Queues.BatchSize);
            Assert.Equal(5, defaults.Queues.MaxDequeueCount);
            Assert.True(defaults.Queues.Base64);
            Assert.Equal(-1, defaults.MaxConcurrentRequests);
            Assert.Equal(-1, defaults.MaxOutstandingRequests);

            File.WriteAllText(Path.Combine(root.FullName, "host.json"), """
                { "version": "2.0", "functionTimeout": "00:01:00",
                  "extensions": { "http": { "routePrefix": "", "maxConcurrentRequests": 4, "maxOutstandingRequests": 16 },
                                  "queues": { "batchSize": 64, "maxDequeueCount": 2, "visibilityTimeout": "00:00:30", "messageEncoding": "none" } } }
                """);
            var read = HostJson.Read(root.FullName);
            Assert.Equal("", read.RoutePrefix);
            Assert.Equal(TimeSpan.FromMinutes(1), read.FunctionTimeout);
            Assert.Equal(32, read.Queues.BatchSize);
            Assert.Equal(2, read.Queues.MaxDequeueCount);
            Assert.Equal(TimeSpan.FromSeconds(30), read.Queues.VisibilityTimeout);
            Assert.False(read.Queues.Base64);
            Assert.Equal(4, read.MaxConcurrentRequests);
            Assert.Equal(16, read.MaxOutstandingRequests);
        }
        finally
        {
            root.Delete(recursive: true);
        }
    }

    [Fact]
    public void App_settings_override_host_json_as_the_real_host_lets_them()
    {
        var root = Directory.CreateTempSubdirectory("hostjson-");
        try
        {
            File.WriteAllText(Path.Combine(root.FullName, "host.json"), """
                { "version": "2.0", "extensions": { "queues": { "maxDequeueCount": 5, "visibilityTimeout": "00:00:30" } } }
                """);
            var settings = Settings(
                ("AzureFunctionsJobHost__extensions__queues__visibilityTimeout", "00:00:01"),
                ("AzureFunctionsJobHost:Extensions:Queues:MaxDequeueCount", "2"),
                ("AzureFunctionsJobHost__extensions__http__routePrefix", "hooks"),
                ("AzureFunctionsJobHost__", "ignored"));
            var read = HostJson.Read(root.FullName, settings.All);
            Assert.Equal(TimeSpan.FromSeconds(1), read.Queues.VisibilityTimeout);
            Assert.Equal(2, read.Queues.MaxDequeueCount);
            Assert.Equal("hooks", read.RoutePrefix);
            Assert.Equal(3, HostJson.Read(root.FullName, Settings(("AzureFunctionsJobHost__extensions__http__maxConcurrentRequests", "3")).All).MaxConcurrentRequests);
            var zero = Assert.Throws<LocalHostException>(() => HostJson.Read(root.FullName, Settings(("AzureFunctionsJobHost__extensions__http__maxOutstandingRequests", "0")).All));
            Assert.Contains("extensions.http.maxOutstandingRequests", zero.Message, StringComparison.Ordinal);
            Assert.Equal(TimeSpan.FromSeconds(30), HostJson.Read(root.FullName).Queues.VisibilityTimeout);
        }
        finally
        {
            root.Delete(recursive: true);
        }
    }

    private static AppSettings Settings(params (string Key, string Value)[] values)
    {
        var options = new LocalHostOptions { ScriptRoot = Path.GetTempPath() };
        foreach (var (key, value) in values)
        {
            options.Settings[key] = value;
        }

        return AppSettings.Build(options);
    }
}
