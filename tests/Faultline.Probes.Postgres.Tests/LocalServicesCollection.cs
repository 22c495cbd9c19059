using Faultline.TestSupport;

namespace Faultline.Probes.Postgres.Tests;

/// <summary>
/// Every test here shares one PostgreSQL and runs in this one collection, so a test that fills the
/// server's connection slots never overlaps another that needs a slot.
/// </summary>
[CollectionDefinition(LocalServices.Collection)]
public sealed class LocalServicesCollection : ICollectionFixture<LocalServices>;
