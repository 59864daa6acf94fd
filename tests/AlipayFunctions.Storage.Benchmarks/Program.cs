using BenchmarkDotNet.Running;

BenchmarkSwitcher.FromAssembly(typeof(AlipayFunctions.Storage.Benchmarks.StorageClientBenchmarks).Assembly).Run(args);
