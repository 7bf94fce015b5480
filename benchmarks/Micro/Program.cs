using BenchmarkDotNet.Running;
using Benchmarks.Micro;

// dotnet run -c Release --project benchmarks/Micro -- --filter '*'   (BenchmarkDotNet's own options apply)
BenchmarkSwitcher.FromAssembly(typeof(Fixtures).Assembly).Run(args);
