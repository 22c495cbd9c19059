using System.Buffers;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Unicode;
using Microsoft.Win32.SafeHandles;

namespace Faultline.Core.Config;

/// <summary>
/// Reads a config file's text: only a regular file (a FIFO, a device, a socket or a directory is refused before it is
/// opened, so a pipe with no writer cannot hang the open and /dev/zero cannot be read forever), at most
/// <see cref="ConfigLimits.MaxFileBytes"/> (checked before reading, and again while reading), and valid UTF-8 or
/// UTF-16 with a byte order mark. Each refusal is a <see cref="ConfigException"/> that says what the file is and what
/// to pass instead.
/// </summary>
internal static class ConfigFile
{
    private const string PassAFile = "pass an existing file with --config FILE";

    /// <summary>The text of <paramref name="fullPath"/>; <paramref name="displayPath"/> names it in messages.</summary>
    public static string Read(string displayPath, string fullPath, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var status = FileKinds.Stat(fullPath);
        CheckKind(displayPath, status.Kind);
        CheckSize(displayPath, status.Size);

        byte[] bytes;
        int length;
        try
        {
            using var handle = File.OpenHandle(fullPath, FileMode.Open, FileAccess.Read, FileShare.Read, FileOptions.SequentialScan);

            // The path was a regular file a moment ago; the handle must be one too (the file was not swapped meanwhile).
            var opened = FileKinds.Stat(handle);
            CheckKind(displayPath, opened.Kind);
            CheckSize(displayPath, opened.Size);
            (bytes, length) = ReadBounded(displayPath, handle, opened.Size, cancellationToken);
        }
        catch (FileNotFoundException)
        {
            throw Refuse($"config file not found: {displayPath}", PassAFile);
        }
        catch (DirectoryNotFoundException)
        {
            throw Refuse($"config file not found: {displayPath}", PassAFile);
        }
        catch (UnauthorizedAccessException)
        {
            throw Refuse($"cannot read config file {displayPath}: permission denied", null);
        }
        catch (IOException ex)
        {
            throw Refuse($"cannot read config file {displayPath}: {ex.Message}", null);
        }

        try
        {
            return Decode(displayPath, bytes.AsSpan(0, length));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(bytes);
        }
    }

    /// <summary>Text given in memory is held to the same size bound as a file.</summary>
    public static void CheckTextSize(string displayPath, string text)
    {
        if (text.Length > ConfigLimits.MaxFileBytes || Encoding.UTF8.GetByteCount(text) > ConfigLimits.MaxFileBytes)
        {
            throw TooLarge(displayPath, Encoding.UTF8.GetByteCount(text));
        }
    }

    /// <summary>
    /// A YAML file holds printable characters only (YAML 1.2, c-printable): a control character other than tab and
    /// line breaks, U+FFFE, U+FFFF or half a surrogate pair is an error at its line and column, before parsing.
    /// </summary>
    public static void CheckPrintable(string displayPath, string text)
    {
        var line = 1;
        var lineStart = 0;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '\n')
            {
                line++;
                lineStart = i + 1;
                continue;
            }

            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                i++;
                continue;
            }

            if (IsControl(c) || c is '\uFFFE' or '\uFFFF' || char.IsSurrogate(c))
            {
                var what = char.IsSurrogate(c) ? "half of a surrogate pair" : IsControl(c) ? "a control character" : "not a character";
                throw new ConfigException([new ConfigError(
                    new SourceLocation(displayPath, line, i - lineStart + 1),
                    string.Create(CultureInfo.InvariantCulture, $"the config holds U+{(int)c:X4} ({what}), which a YAML file may not contain"),
                    "remove it: a config is text (was binary data pasted into it, or was it saved in another encoding?)")]);
            }
        }
    }

    /// <summary>C0 controls other than tab and line breaks, DEL, and C1 controls: what a config value may not hold either.</summary>
    public static bool IsControl(char c) => (c < 0x20 && c is not '\t' and not '\n' and not '\r') || c is >= '\u007f' and <= '\u009f';

    private static void CheckKind(string displayPath, FileKind kind)
    {
        var what = kind switch
        {
            FileKind.Missing => null,
            FileKind.Directory => "a directory",
            FileKind.Fifo => "a named pipe (FIFO)",
            FileKind.CharacterDevice => "a character device",
            FileKind.BlockDevice => "a block device",
            FileKind.Socket => "a socket",
            FileKind.Other => "not a regular file",
            _ => string.Empty,
        };

        if (kind == FileKind.Missing)
        {
            throw Refuse($"config file not found: {displayPath}", PassAFile);
        }

        if (kind == FileKind.Directory)
        {
            throw Refuse($"config file {displayPath} is a directory, not a file", "pass the YAML file itself, e.g. --config " + Path.Combine(displayPath, "faultline.yaml"));
        }

        if (!string.IsNullOrEmpty(what))
        {
            throw Refuse(
                $"config file {displayPath} is {what}; only a regular file is read as a config",
                "write the config to a file and pass that file (a pipe, /dev/stdin or <(...) is not read: it may never end)");
        }
    }

    private static void CheckSize(string displayPath, long size)
    {
        if (size > ConfigLimits.MaxFileBytes)
        {
            throw TooLarge(displayPath, size);
        }
    }

    private static ConfigException TooLarge(string displayPath, long size) => Refuse(
        string.Create(CultureInfo.InvariantCulture, $"config file {displayPath} is {size:N0} bytes; a config may be at most {ConfigLimits.MaxFileBytes / 1024 / 1024} MiB ({ConfigLimits.MaxFileBytes:N0} bytes)"),
        "a config of 10,000 targets is about 2 MiB: check that this is the config file");

    /// <summary>At most <see cref="ConfigLimits.MaxFileBytes"/> + 1 bytes, whatever the file claims its length is.</summary>
    private static (byte[] Bytes, int Length) ReadBounded(string displayPath, SafeFileHandle handle, long claimed, CancellationToken cancellationToken)
    {
        const int Limit = (int)ConfigLimits.MaxFileBytes;
        var bytes = ArrayPool<byte>.Shared.Rent((int)Math.Min(Math.Max(claimed, 4096), Limit) + 1);
        var length = 0;
        try
        {
            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (length == bytes.Length)
                {
                    if (length > Limit)
                    {
                        throw TooLarge(displayPath, length);
                    }

                    var larger = ArrayPool<byte>.Shared.Rent(Math.Min(bytes.Length * 2, Limit + 1));
                    bytes.AsSpan(0, length).CopyTo(larger);
                    ArrayPool<byte>.Shared.Return(bytes);
                    bytes = larger;
                }

                var read = RandomAccess.Read(handle, bytes.AsSpan(length, Math.Min(bytes.Length - length, 1 << 20)), length);
                if (read == 0)
                {
                    break;
                }

                length += read;
                if (length > Limit)
                {
                    throw TooLarge(displayPath, length);
                }
            }

            return (bytes, length);
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(bytes);
            throw;
        }
    }

    /// <summary>UTF-8 (with or without a byte order mark), or UTF-16 with one; invalid bytes are an error at their line and column.</summary>
    private static string Decode(string displayPath, ReadOnlySpan<byte> bytes)
    {
        if (bytes.StartsWith((ReadOnlySpan<byte>)[0xFF, 0xFE]) || bytes.StartsWith((ReadOnlySpan<byte>)[0xFE, 0xFF]))
        {
            var encoding = bytes[0] == 0xFF ? new UnicodeEncoding(bigEndian: false, byteOrderMark: true, throwOnInvalidBytes: true) : new UnicodeEncoding(bigEndian: true, byteOrderMark: true, throwOnInvalidBytes: true);
            try
            {
                return encoding.GetString(bytes[2..]);
            }
            catch (DecoderFallbackException)
            {
                throw Refuse($"config file {displayPath} is not valid UTF-16 (it starts with a UTF-16 byte order mark)", "save the config as UTF-8");
            }
        }

        if (bytes.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]))
        {
            bytes = bytes[3..];
        }

        var chars = new char[bytes.Length];
        var status = Utf8.ToUtf16(bytes, chars, out var bytesRead, out var charsWritten, replaceInvalidSequences: false);
        if (status == OperationStatus.Done)
        {
            return new string(chars, 0, charsWritten);
        }

        var before = chars.AsSpan(0, charsWritten);
        var line = before.Count('\n') + 1;
        var column = charsWritten - before.LastIndexOf('\n');
        var location = new SourceLocation(displayPath, line, column);
        throw new ConfigException([new ConfigError(
            location,
            string.Create(CultureInfo.InvariantCulture, $"the config is not valid UTF-8: byte 0x{bytes[bytesRead]:X2} at offset {bytesRead} starts no character"),
            "save the config as UTF-8 (was it saved in another encoding, or is it not a text file?)")]);
    }

    private static ConfigException Refuse(string message, string? hint) => new([new ConfigError(null, message, hint)]);
}

/// <summary>What a path names, as far as reading a config is concerned.</summary>
internal enum FileKind
{
    /// <summary>The platform cannot tell (no stat): the file is opened and read within the size bound.</summary>
    Unknown,
    Missing,
    Regular,
    Directory,
    Fifo,
    CharacterDevice,
    BlockDevice,
    Socket,
    Other,
}

/// <summary>
/// The type and size of a file from stat(2), before anything opens it. .NET has no API for a file's type (its
/// attributes say Normal for a FIFO and for /dev/zero), so this calls the runtime's own stat shim, whose
/// <c>FileStatus</c> layout is the same on every Unix .NET runs on (unlike libc's <c>struct stat</c>).
/// </summary>
internal static class FileKinds
{
    private const int TypeMask = 0xF000;

    public static (FileKind Kind, long Size) Stat(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            return Directory.Exists(path) ? (FileKind.Directory, 0) : File.Exists(path) ? (FileKind.Regular, new FileInfo(path).Length) : (FileKind.Missing, 0);
        }

        try
        {
            if (NativeStat(path, out var status) == 0)
            {
                return (Kind(status.Mode), status.Size);
            }
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
        {
            return (Directory.Exists(path) ? FileKind.Directory : File.Exists(path) ? FileKind.Unknown : FileKind.Missing, 0);
        }

        return (Directory.Exists(path) ? FileKind.Directory : File.Exists(path) ? FileKind.Unknown : FileKind.Missing, 0);
    }

    public static (FileKind Kind, long Size) Stat(SafeFileHandle handle)
    {
        if (OperatingSystem.IsWindows())
        {
            return (FileKind.Regular, RandomAccess.GetLength(handle));
        }

        try
        {
            return NativeFStat(handle, out var status) == 0 ? (Kind(status.Mode), status.Size) : (FileKind.Unknown, RandomAccess.GetLength(handle));
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
        {
            return (FileKind.Unknown, RandomAccess.GetLength(handle));
        }
    }

    private static FileKind Kind(int mode) => (mode & TypeMask) switch
    {
        0x8000 => FileKind.Regular,
        0x4000 => FileKind.Directory,
        0x1000 => FileKind.Fifo,
        0x2000 => FileKind.CharacterDevice,
        0x6000 => FileKind.BlockDevice,
        0xC000 => FileKind.Socket,
        _ => FileKind.Other,
    };

    [DllImport("libSystem.Native", EntryPoint = "SystemNative_Stat", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int NativeStat([MarshalAs(UnmanagedType.LPUTF8Str)] string path, out FileStatus status);

    [DllImport("libSystem.Native", EntryPoint = "SystemNative_FStat", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int NativeFStat(SafeFileHandle handle, out FileStatus status);

    /// <summary>
    /// The head of the runtime's <c>FileStatus</c> (Flags, Mode, Uid, Gid, Size, ...), padded well past its full
    /// size so that the shim never writes beyond this buffer.
    /// </summary>
    [StructLayout(LayoutKind.Sequential, Size = 256)]
    private struct FileStatus
    {
        public int Flags;
        public int Mode;
        public uint Uid;
        public uint Gid;
        public long Size;
    }
}
