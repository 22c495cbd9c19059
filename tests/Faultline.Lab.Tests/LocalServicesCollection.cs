using Faultline.TestSupport;

namespace Faultline.Lab.Tests;

/// <summary>
/// Tests that need the shared PostgreSQL, Redis and nginx run in this one collection, so a test that
/// fills the server's connection slots never overlaps another that needs a slot.
/// </summary>
[CollectionDefinition(LocalServices.Collection)]
public sealed class LocalServicesCollection : ICollectionFixture<LocalServices>;
