using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using HomeTunnel.Hosts;
using HomeTunnel.Hosts.Contract;

namespace HomeTunnel.Tests;

/// <summary>
/// The recorded answers (tests/Pester/fixtures/agent, tools/Record-AgentAnswers.ps1): their text with keys put in for
/// the {{KEY:n}} placeholders (the same key for the same n every run, so plans made from them can be compared), and
/// which request kind each answers.
/// </summary>
internal static class Recordings
{
    public static string Folder => Path.Combine(AppContext.BaseDirectory, "Recordings");

    public static IEnumerable<string> Names =>
        Directory.GetFiles(Folder, "*.json").Select(Path.GetFileNameWithoutExtension).Order(StringComparer.Ordinal)!;

    /// <summary>The request kind each recording answers, by its name; a recording with no kind here fails a test.</summary>
    public static string? KindOf(string name) => name switch
    {
        _ when name.StartsWith("wireguard-", StringComparison.Ordinal) => "WireGuard",
        _ when name.StartsWith("apache-", StringComparison.Ordinal) => "Apache",
        "forward-facts" => "Forward",
        "homefirewall-facts" => "HomeFirewall",
        "status" or "unsupported-version" => "Status",
        _ when name.StartsWith("managed-", StringComparison.Ordinal) => "Managed",
        "relay-probe" => "RelayProbe",
        "site-files" => "SiteFiles",
        "connect-probe" => "ConnectProbe",
        "home-probe" => "HomeProbe",
        "mtu-probe" => "MtuProbe",
        _ when name.StartsWith("rotate-relay", StringComparison.Ordinal) => "RotateRelay",
        _ when name.StartsWith("rotate-home", StringComparison.Ordinal) => "RotateHome",
        "nat-probe-relay" => "NatProbeRelay",
        "nat-probe-home" => "NatProbeHome",
        _ => null,
    };

    /// <summary>The contract a kind's data is read with: a change kind's Facts, a read's whole answer.</summary>
    public static object ReadData(string kind, AgentAnswer answer) => kind switch
    {
        "WireGuard" => AgentContract.WireGuardFacts(Facts(answer)),
        "Apache" => AgentContract.ApacheFacts(Facts(answer)),
        "Forward" or "HomeFirewall" => AgentContract.NftTableFacts(Facts(answer)),
        "Status" => AgentContract.Status(answer.Body),
        "Managed" => AgentContract.ManagedFiles(answer.Body),
        "RelayProbe" => AgentContract.RelayProbe(answer.Body),
        "SiteFiles" => AgentContract.SiteFiles(answer.Body),
        "ConnectProbe" => AgentContract.ConnectProbe(answer.Body),
        "HomeProbe" => AgentContract.HomeProbe(answer.Body),
        "MtuProbe" => AgentContract.MtuProbe(answer.Body),
        "RotateRelay" or "RotateHome" => AgentContract.Rotation(answer.Body),
        "NatProbeRelay" or "NatProbeHome" => AgentContract.NatProbe(answer.Body),
        _ => throw new ArgumentException($"No contract for {kind}."),
    };

    private static JsonElement Facts(AgentAnswer answer) => answer.FactsJson ?? throw new InvalidOperationException($"A '{answer.State}' answer has no facts.");

    public static string Text(string name) =>
        Regex.Replace(File.ReadAllText(Path.Combine(Folder, name + ".json")), @"\{\{KEY:(\d+)\}\}", m => Key(int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)));

    public static AgentAnswer Answer(string name) => AgentAnswer.Parse(Text(name), "relay");

    /// <summary>The recording as JSON to edit (a member added, removed, or of another type).</summary>
    public static JsonObject Node(string name) => JsonNode.Parse(Text(name))!.AsObject();

    /// <summary>A fixed WireGuard key for placeholder n (clamped, so it is a private key as well as a public one).</summary>
    public static string Key(int n)
    {
        byte[] b = SHA256.HashData(Encoding.UTF8.GetBytes($"hometunnel-test-key-{n}"));
        b[0] &= 248;
        b[31] &= 127;
        b[31] |= 64;
        return Convert.ToBase64String(b);
    }
}
