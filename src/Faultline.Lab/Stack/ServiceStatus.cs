namespace Faultline.Lab.Stack;

/// <summary>One line of <c>faultline lab status</c>: a lab service, whether it answers, and its port.</summary>
/// <param name="Name">postgres, redis, nginx, lb, dns, relay or app.</param>
/// <param name="Up">True when the process runs and answers (PING, /health, a TCP connect, /health/ready).</param>
/// <param name="Port">The loopback port it listens on.</param>
/// <param name="Detail">What was checked, or why it is down.</param>
public sealed record ServiceStatus(string Name, bool Up, int Port, string Detail);
