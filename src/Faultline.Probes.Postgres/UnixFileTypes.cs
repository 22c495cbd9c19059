using System.Runtime.InteropServices;

namespace Faultline.Probes.Postgres;

/// <summary>What a path is, as far as a unix socket preflight cares.</summary>
internal enum UnixFileType
{
    /// <summary>The type could not be read (no <c>statx</c> on this system); the path exists.</summary>
    Unknown,
    /// <summary>Neither the path nor (perhaps) its parent exists.</summary>
    Missing,
    /// <summary>This process may not look at the path (a parent directory is not searchable).</summary>
    AccessDenied,
    Directory,
    Socket,
    RegularFile,
    /// <summary>A device, a FIFO or another kind of file.</summary>
    Other,
}

/// <summary>
/// Reads a path's file type, following symbolic links as <c>connect(2)</c> does. .NET has no public API that tells a
/// socket from a regular file (both are "files", and connecting to either gives ECONNREFUSED when nothing listens),
/// so on Linux it asks <c>statx(2)</c>, whose buffer layout is the same on every architecture; elsewhere, or when
/// the C library lacks <c>statx</c>, it falls back to <see cref="File.Exists"/> / <see cref="Directory.Exists"/> and
/// reports an existing non-directory as <see cref="UnixFileType.Unknown"/>.
/// </summary>
internal static class UnixFileTypes
{
    private const int AtFdCwd = -100;
    private const uint StatxType = 0x1;
    private const int FileTypeMask = 0xF000;
    private const int TypeSocket = 0xC000;
    private const int TypeRegular = 0x8000;
    private const int TypeDirectory = 0x4000;
    private const int ENOENT = 2;
    private const int EACCES = 13;
    private const int ENOTDIR = 20;

    public static UnixFileType Of(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (OperatingSystem.IsLinux())
        {
            try
            {
                if (NativeMethods.statx(AtFdCwd, path, 0, StatxType, out var buffer) == 0)
                {
                    return (buffer.Mask & StatxType) == 0 ? Fallback(path) : FromMode(buffer.Mode);
                }

                return Marshal.GetLastPInvokeError() switch
                {
                    ENOENT or ENOTDIR => UnixFileType.Missing,
                    EACCES => UnixFileType.AccessDenied,
                    _ => Fallback(path),
                };
            }
            catch (Exception ex) when (ex is EntryPointNotFoundException or DllNotFoundException)
            {
                return Fallback(path);
            }
        }

        return Fallback(path);
    }

    private static UnixFileType FromMode(ushort mode) => (mode & FileTypeMask) switch
    {
        TypeSocket => UnixFileType.Socket,
        TypeRegular => UnixFileType.RegularFile,
        TypeDirectory => UnixFileType.Directory,
        _ => UnixFileType.Other,
    };

    private static UnixFileType Fallback(string path) =>
        Directory.Exists(path) ? UnixFileType.Directory
        : File.Exists(path) ? UnixFileType.Unknown
        : UnixFileType.Missing;

    /// <summary>The head of <c>struct statx</c> (linux/stat.h); the kernel writes up to 256 bytes.</summary>
    [StructLayout(LayoutKind.Sequential, Size = 256)]
    private struct StatxBuffer
    {
        public uint Mask;
        public uint BlockSize;
        public ulong Attributes;
        public uint Links;
        public uint Uid;
        public uint Gid;
        public ushort Mode;
    }

    private static class NativeMethods
    {
        [DllImport("libc", SetLastError = true, ExactSpelling = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
#pragma warning disable SYSLIB1054 // LibraryImport would need unsafe code enabled for this one call.
        public static extern int statx(int dirfd, [MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags, uint mask, out StatxBuffer buffer);
#pragma warning restore SYSLIB1054
    }
}
