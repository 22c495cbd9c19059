using System.Globalization;
using System.Threading.Channels;
using Faultline.Core.Config;
using Faultline.Core.Reporting;
using Microsoft.Extensions.Logging;

namespace Faultline.Monitor.Alerts;

/// <summary>
/// Delivers <see cref="AlertEvent"/>s to the channels of <c>alerts:</c> in the background.
/// <list type="bullet">
/// <item><see cref="Enqueue"/> never blocks: it records the alert and returns.</item>
/// <item>Each channel named in <see cref="AlertEvent.Channels"/> gets the alert once: the same incident, event and sequence is delivered at most once per channel, however often it is enqueued (an alert that finally failed may be enqueued again).</item>
/// <item>Per channel and incident, deliveries happen in the order they were enqueued (open before resolve); different incidents and channels do not wait for each other.</item>
/// <item>A failed attempt is retried <see cref="AlertSpec.Retries"/> times with exponential backoff and jitter (2 s doubling up to 30 s, each delay 50–100 % of that; a receiver's <c>Retry-After</c> is honoured up to 5 min); each attempt runs under <see cref="AlertSpec.Timeout"/>.</item>
/// </list>
/// </summary>
public sealed class AlertDispatcher : IAsyncDisposable
{
    internal static readonly TimeSpan BackoffBase = TimeSpan.FromSeconds(2);
    internal static readonly TimeSpan BackoffCap = TimeSpan.FromSeconds(30);
    internal static readonly TimeSpan RetryAfterCap = TimeSpan.FromMinutes(5);

    /// <summary>How many (channel, incident, event, sequence) keys are remembered for dedupe.</summary>
    internal const int DedupeCapacity = 10_000;

    private readonly HttpClient http;
    private readonly TimeProvider time;
    private readonly ILoggerFactory loggerFactory;
    private readonly ILogger logger;
    private readonly Channel<Job> queue = Channel.CreateUnbounded<Job>(new UnboundedChannelOptions { SingleReader = true });
    private readonly CancellationTokenSource shutdown = new();
    private readonly Lock gate = new();
    private readonly HashSet<DeliveryKey> accepted = [];
    private readonly Queue<DeliveryKey> acceptedOrder = new();
    private readonly Dictionary<(string Channel, long Incident), (Task Task, long Ticket)> tails = [];
    private readonly Task loop;
    private IReadOnlyDictionary<string, IAlertChannel> channels;
    private TaskCompletionSource idle = NewCompleted();
    private int pending;
    private long tickets;
    private bool disposed;

    /// <param name="secrets">The config's secrets (<see cref="FaultlineConfig.Secrets"/>): an alert command does not inherit a variable that holds one.</param>
    public AlertDispatcher(IReadOnlyList<AlertSpec> channels, HttpClient http, TimeProvider time, ILoggerFactory loggerFactory, IReadOnlyList<string>? secrets = null)
    {
        ArgumentNullException.ThrowIfNull(channels);
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(loggerFactory);
        this.http = http;
        this.time = time;
        this.loggerFactory = loggerFactory;
        logger = loggerFactory.CreateLogger<AlertDispatcher>();
        this.channels = Build(channels, secrets ?? []);
        loop = Task.Run(RunAsync);
    }

    /// <summary>Queues <paramref name="alert"/> for every channel it names. Never blocks and never throws for a bad channel name (it is logged and skipped).</summary>
    public void Enqueue(AlertEvent alert)
    {
        ArgumentNullException.ThrowIfNull(alert);
        var eventName = AlertPayloads.EventName(alert.Event);
        var current = Volatile.Read(ref channels);
        var keys = new List<DeliveryKey>(alert.Channels.Count);
        lock (gate)
        {
            if (disposed)
            {
                AlertLog.DroppedAfterDispose(logger, eventName, alert.Incident.Id);
                return;
            }

            foreach (var name in alert.Channels.Distinct(StringComparer.Ordinal))
            {
                if (!current.ContainsKey(name))
                {
                    AlertLog.UnknownChannel(logger, eventName, alert.Incident.Id, name);
                    continue;
                }

                var key = new DeliveryKey(name, alert.Incident.Id, alert.Event, alert.Sequence);
                if (!Remember(key))
                {
                    AlertLog.Duplicate(logger, eventName, alert.Sequence, alert.Incident.Id, name);
                    continue;
                }

                keys.Add(key);
            }

            if (keys.Count == 0)
            {
                return;
            }

            if (pending == 0)
            {
                idle = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }

            pending += keys.Count;
            queue.Writer.TryWrite(new Job(alert, keys));
        }
    }

    /// <summary>Replaces the channels (a config reload). Queued deliveries go to the channel of the same name in the new list; a channel that is gone drops them (logged).</summary>
    /// <exception cref="ArgumentException">A channel is invalid (missing url or run, unknown kind or format, negative retries, non-positive timeout, duplicate name).</exception>
    public void Reconfigure(IReadOnlyList<AlertSpec> channels, IReadOnlyList<string>? secrets = null)
    {
        ArgumentNullException.ThrowIfNull(channels);
        Volatile.Write(ref this.channels, Build(channels, secrets ?? []));
    }

    /// <summary>Waits until every queued delivery has finished (delivered, rejected or out of retries), or <paramref name="timeout"/> has passed (logged with the number still pending).</summary>
    public async Task FlushAsync(TimeSpan timeout)
    {
        Task done;
        lock (gate)
        {
            done = idle.Task;
        }

        if (done.IsCompleted)
        {
            return;
        }

        using var stop = new CancellationTokenSource();
        var deadline = Task.Delay(timeout, time, stop.Token);
        var first = await Task.WhenAny(done, deadline).ConfigureAwait(false);
        await stop.CancelAsync().ConfigureAwait(false);
        if (first != done)
        {
            AlertLog.FlushTimedOut(logger, Volatile.Read(ref pending), (long)timeout.TotalMilliseconds);
        }
    }

    /// <summary>Stops delivering: in-flight attempts are cancelled (a running command is killed); call <see cref="FlushAsync"/> first to let them finish.</summary>
    public async ValueTask DisposeAsync()
    {
        lock (gate)
        {
            if (disposed)
            {
                return;
            }

            disposed = true;
            queue.Writer.TryComplete();
        }

        await shutdown.CancelAsync().ConfigureAwait(false);
        await loop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        List<Task> running;
        lock (gate)
        {
            running = [.. tails.Values.Select(t => t.Task)];
        }

        await Task.WhenAll(running).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        lock (gate)
        {
            idle.TrySetResult();
        }

        shutdown.Dispose();
    }

    internal static TimeSpan Backoff(int failedAttempts, double random, TimeSpan? retryAfter)
    {
        var exponent = Math.Min(failedAttempts - 1, 16);
        var ceiling = Math.Min(BackoffBase.TotalMilliseconds * Math.Pow(2, exponent), BackoffCap.TotalMilliseconds);
        var delay = TimeSpan.FromMilliseconds(ceiling * (0.5 + (0.5 * random)));
        if (retryAfter is { } asked && asked > delay)
        {
            delay = asked < RetryAfterCap ? asked : RetryAfterCap;
        }

        return delay;
    }

    private Dictionary<string, IAlertChannel> Build(IReadOnlyList<AlertSpec> specs, IReadOnlyList<string> secrets)
    {
        var built = new Dictionary<string, IAlertChannel>(StringComparer.Ordinal);
        var context = new AlertChannelContext(http, time, loggerFactory, secrets);
        foreach (var spec in specs)
        {
            ArgumentNullException.ThrowIfNull(spec, nameof(specs));
            var channel = Validate(spec).Create(spec, context);
            if (!built.TryAdd(spec.Name, channel))
            {
                throw new ArgumentException($"alert channel '{spec.Name}' is defined twice", nameof(specs));
            }
        }

        return built;
    }

    /// <summary>The spec's kind, once the spec is usable; else an error naming the channel and where it is defined.</summary>
    private static AlertChannelKind Validate(AlertSpec spec)
    {
        var kind = AlertChannels.Find(spec.Kind);
        var problem = spec switch
        {
            { Name: null or "" } => "has no name",
            _ when kind is null => $"has unknown kind '{spec.Kind}' (expected {string.Join(", ", AlertChannels.All.Select(k => k.Name))})",
            { Retries: < 0 } => "has negative retries",
            { Timeout.Ticks: <= 0 } => "has a timeout that is not positive",
            _ => kind!.Problem(spec),
        };
        if (problem is not null)
        {
            var where = spec.Location is { } location ? $"{location}: " : string.Empty;
            throw new ArgumentException($"{where}alert channel '{spec.Name}' {problem}", nameof(spec));
        }

        return kind!;
    }

    private static TaskCompletionSource NewCompleted()
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        done.SetResult();
        return done;
    }

    /// <summary>Adds <paramref name="key"/> to the remembered set; false when it is already there. Caller holds the gate.</summary>
    private bool Remember(DeliveryKey key)
    {
        if (!accepted.Add(key))
        {
            return false;
        }

        acceptedOrder.Enqueue(key);
        while (acceptedOrder.Count > DedupeCapacity)
        {
            accepted.Remove(acceptedOrder.Dequeue());
        }

        return true;
    }

    private async Task RunAsync()
    {
        try
        {
            await foreach (var job in queue.Reader.ReadAllAsync(shutdown.Token).ConfigureAwait(false))
            {
                foreach (var key in job.Keys)
                {
                    lock (gate)
                    {
                        var slot = (key.Channel, key.Incident);
                        var previous = tails.TryGetValue(slot, out var tail) ? tail.Task : Task.CompletedTask;
                        var ticket = ++tickets;
                        tails[slot] = (DeliverAfterAsync(previous, job.Alert, key, ticket), ticket);
                    }
                }
            }
        }
        catch (OperationCanceledException) when (shutdown.IsCancellationRequested)
        {
            // Disposed: queued jobs are dropped; DisposeAsync releases anyone flushing.
        }
    }

    private async Task DeliverAfterAsync(Task previous, AlertEvent alert, DeliveryKey key, long ticket)
    {
        // Leave the caller's lock before doing any work (a command's fork, an HTTP connect).
        await Task.Yield();
        await previous.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        var delivered = false;
        try
        {
            delivered = await DeliverWithRetriesAsync(alert, key).ConfigureAwait(false);
        }
        finally
        {
            lock (gate)
            {
                var slot = (key.Channel, key.Incident);
                if (tails.TryGetValue(slot, out var tail) && tail.Ticket == ticket)
                {
                    tails.Remove(slot);
                }

                if (!delivered)
                {
                    // Not delivered: a later enqueue of the same alert may try again.
                    accepted.Remove(key);
                }

                pending--;
                if (pending == 0)
                {
                    idle.TrySetResult();
                }
            }
        }
    }

    private async Task<bool> DeliverWithRetriesAsync(AlertEvent alert, DeliveryKey key)
    {
        var eventName = AlertPayloads.EventName(alert.Event);
        var id = alert.Incident.Id;
        for (var attempt = 1; ; attempt++)
        {
            if (shutdown.IsCancellationRequested)
            {
                AlertLog.Abandoned(logger, eventName, id, key.Channel);
                return false;
            }

            if (!Volatile.Read(ref channels).TryGetValue(key.Channel, out var channel))
            {
                AlertLog.ChannelRemoved(logger, eventName, id, key.Channel);
                return false;
            }

            var attempts = channel.Spec.Retries + 1;
            DeliveryResult result;
            using (var deadline = new CancellationTokenSource(channel.Spec.Timeout, time))
            using (var linked = CancellationTokenSource.CreateLinkedTokenSource(shutdown.Token, deadline.Token))
            {
                try
                {
                    result = await channel.DeliverAsync(alert, linked.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (shutdown.IsCancellationRequested)
                {
                    AlertLog.Abandoned(logger, eventName, id, key.Channel);
                    return false;
                }
                catch (OperationCanceledException) when (deadline.IsCancellationRequested)
                {
                    result = DeliveryResult.Retry(string.Create(CultureInfo.InvariantCulture, $"no answer within {channel.Spec.Timeout.TotalMilliseconds:0} ms"));
                }
                catch (OperationCanceledException)
                {
                    // Neither our deadline nor shutdown: the HttpClient's own Timeout, shorter than the channel's.
                    result = DeliveryResult.Retry("the HTTP client's own timeout expired");
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    // Only the type: the message of an unexpected exception may repeat a URL or a header.
                    AlertLog.AttemptCrashed(logger, eventName, id, key.Channel, attempt, ex.GetType().FullName ?? ex.GetType().Name);
                    result = DeliveryResult.Retry(ex.GetType().Name);
                }
            }

            switch (result.Status)
            {
                case DeliveryStatus.Delivered:
                    AlertLog.Delivered(logger, eventName, id, key.Channel, channel.Destination, attempt, SafeText.OneLine(result.Detail));
                    return true;
                case DeliveryStatus.Rejected:
                    AlertLog.Rejected(logger, eventName, id, key.Channel, channel.Destination, SafeText.OneLine(result.Detail));
                    return false;
                default:
                    if (attempt >= attempts)
                    {
                        AlertLog.GaveUp(logger, eventName, id, key.Channel, channel.Destination, attempt, SafeText.OneLine(result.Detail));
                        return false;
                    }

                    var delay = Backoff(attempt, Random.Shared.NextDouble(), result.RetryAfter);
                    AlertLog.Retrying(logger, eventName, id, key.Channel, channel.Destination, attempt, attempts, SafeText.OneLine(result.Detail), (long)delay.TotalMilliseconds);
                    try
                    {
                        await Task.Delay(delay, time, shutdown.Token).ConfigureAwait(false);
                    }
                    catch (OperationCanceledException)
                    {
                        AlertLog.Abandoned(logger, eventName, id, key.Channel);
                        return false;
                    }

                    break;
            }
        }
    }

    private readonly record struct DeliveryKey(string Channel, long Incident, AlertEventKind Event, int Sequence);

    private sealed record Job(AlertEvent Alert, IReadOnlyList<DeliveryKey> Keys);
}
