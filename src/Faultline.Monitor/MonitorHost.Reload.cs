using Faultline.Core.Config;
using Faultline.Core.Reporting;

namespace Faultline.Monitor;

/// <summary>How a config change went.</summary>
public enum ConfigReloadOutcome
{
    /// <summary>The new config runs.</summary>
    Applied,

    /// <summary>The file is not a valid config (<see cref="ConfigReload.Errors"/> says where); the previous config keeps running.</summary>
    Invalid,

    /// <summary>The file could not be read or was refused (gone, a directory, empty, no targets, or the engine rejected it); the previous config keeps running.</summary>
    Refused,

    /// <summary>The targets were applied but the alert channels could not be updated: a restart applies them.</summary>
    PartlyApplied,
}

/// <summary>
/// A config change and what became of it: the file, the outcome, the targets now running (the new count when applied,
/// else the count still running), the config's errors when <see cref="ConfigReloadOutcome.Invalid"/>, and otherwise a
/// one-line message for a person (escaped: a path or an exception message can hold anything).
/// </summary>
public sealed record ConfigReload(string Path, ConfigReloadOutcome Outcome, int Targets, ConfigException? Errors = null, string? Message = null);

/// <summary>A <see cref="IMonitorSink"/> that also wants to know about config changes.</summary>
public interface IMonitorReloadSink
{
    ValueTask OnConfigReloadAsync(ConfigReload reload, CancellationToken cancellationToken);
}

public sealed partial class MonitorHost
{
    /// <summary>
    /// Reads the config file again and applies it. Whatever goes wrong — an invalid config, a file that is gone, a
    /// directory, a FIFO or a device, an unexpected exception — leaves the running config in place; the outcome goes
    /// to every <see cref="IMonitorReloadSink"/> subscriber and is returned. Never throws but for cancellation.
    /// </summary>
    public async Task<ConfigReload?> ReloadAsync(CancellationToken cancellationToken)
    {
        if (_options.ConfigPath is not { } path)
        {
            return null;
        }

        ConfigReload reload;
        try
        {
            reload = await ApplyFileAsync(path, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return null;
        }

        await _sink.ReloadedAsync(reload, cancellationToken).ConfigureAwait(false);
        return reload;
    }

    private async Task<ConfigReload> ApplyFileAsync(string path, CancellationToken cancellationToken)
    {
        var running = _engine.Config.Targets.Count;
        ConfigReload Refused(string message) =>
            new(path, ConfigReloadOutcome.Refused, running, Message: message + "; still running the previous config");

        var applied = false;
        try
        {
            FaultlineConfig next;
            try
            {
                next = LoadChanged(path);
            }
            catch (ConfigException ex)
            {
                return new ConfigReload(path, ConfigReloadOutcome.Invalid, running, Errors: ex);
            }
            catch (Exception ex) when (ex is InvalidDataException or IOException or UnauthorizedAccessException)
            {
                return Refused(SafeText.OneLine(ex.Message));
            }

            var removed = _engine.Config.Targets.Select(t => t.Name).Except(next.Targets.Select(t => t.Name), StringComparer.Ordinal).ToList();
            try
            {
                await _engine.ApplyConfigAsync(next, cancellationToken).ConfigureAwait(false);
            }
            catch (ArgumentException ex)
            {
                return Refused($"{SafeText.OneLine(path)}: {SafeText.OneLine(ex.Message)}");
            }

            applied = true;
            _dispatcher.Reconfigure(next.Alerts, next.Secrets);
            foreach (var name in removed)
            {
                _metrics.RemoveTarget(name);
            }

            return new ConfigReload(path, ConfigReloadOutcome.Applied, next.Targets.Count, Message: $"config reloaded ({next.Targets.Count} targets)");
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
#pragma warning disable CA1031 // The boundary of a reload: any failure is reported in one line and the monitor keeps running (the watcher waits for the next edit).
        catch (Exception ex)
#pragma warning restore CA1031
        {
            var what = $"{ex.GetType().Name}: {SafeText.OneLine(ex.Message)}";
            return applied
                ? new ConfigReload(
                    path,
                    ConfigReloadOutcome.PartlyApplied,
                    _engine.Config.Targets.Count,
                    Message: $"{SafeText.OneLine(path)}: the targets were reloaded, but updating the alert channels failed ({what}); restart the monitor to apply them")
                : Refused($"{SafeText.OneLine(path)}: reloading the config failed ({what})");
        }
    }

    /// <summary>
    /// Loads the config file after a change. Only a regular file with content is read: a FIFO would block the read until
    /// something writes into it, and a device never ends (both report length 0, like an empty file, which has no targets).
    /// </summary>
    private static FaultlineConfig LoadChanged(string path)
    {
        if (Directory.Exists(path))
        {
            throw new InvalidDataException($"{path} is now a directory, not a config file");
        }

        var file = new FileInfo(path);
        if (file.Exists && file.Length == 0)
        {
            throw new InvalidDataException($"{path} is empty (or not a regular file)");
        }

        var next = ConfigLoader.LoadFile(path);
        if (next.Targets.Count == 0)
        {
            throw new InvalidDataException("the changed config has no targets");
        }

        return next;
    }
}
