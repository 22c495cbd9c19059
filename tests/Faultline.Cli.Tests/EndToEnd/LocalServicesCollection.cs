using Faultline.TestSupport;

namespace Faultline.Cli.Tests.EndToEnd;

/// <summary>
/// The one collection of this assembly that uses the real PostgreSQL, Redis and nginx. Its tests never
/// run concurrently, so a test that fills every connection slot of PostgreSQL, or listens on nginx's
/// upstream port, never overlaps another that needs them.
/// </summary>
[CollectionDefinition(LocalServices.Collection)]
public sealed class LocalServicesCollection : ICollectionFixture<LocalServices>;
