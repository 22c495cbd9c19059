namespace GoldenPath.Tests;

public sealed class PasswordHashingTests
{
    [Fact]
    public void Verify_SamePassword_True()
    {
        var hash = PasswordHashing.Hash("correct horse battery");

        Assert.True(PasswordHashing.Verify("correct horse battery", hash));
        Assert.StartsWith("pbkdf2-sha256$100000$", hash, StringComparison.Ordinal);
        Assert.DoesNotContain("correct horse battery", hash, StringComparison.Ordinal);
    }

    [Fact]
    public void Verify_WrongPassword_False()
    {
        Assert.False(PasswordHashing.Verify("wrong horse battery", PasswordHashing.Hash("correct horse battery")));
    }

    [Fact]
    public void Hash_SamePasswordTwice_DifferentSalts()
    {
        Assert.NotEqual(PasswordHashing.Hash("same password"), PasswordHashing.Hash("same password"));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("md5$1$abc$def")]
    [InlineData("pbkdf2-sha256$x$abc$def")]
    [InlineData("pbkdf2-sha256$1000$!!!$def")]
    public void Verify_MissingOrMalformedHash_False(string? stored)
    {
        Assert.False(PasswordHashing.Verify("any password", stored));
    }
}
