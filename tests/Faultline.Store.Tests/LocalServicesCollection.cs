using Faultline.TestSupport;

namespace Faultline.Store.Tests;

[CollectionDefinition(LocalServices.Collection)]
public sealed class LocalServicesCollection : ICollectionFixture<LocalServices>;
