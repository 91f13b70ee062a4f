using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using HomeTunnel.Apache;
using HomeTunnel.Forwards;
using HomeTunnel.Hosts;
using HomeTunnel.Hosts.Contract;
using HomeTunnel.WireGuard;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace HomeTunnel.Tests;

/// <summary>
/// The planners from recorded facts, each plan held to a reviewed snapshot (Plans/&lt;case&gt;.json): a change to what a
/// planner decides, or to the shape of what it sends the agent, shows as a diff to review. HOMETUNNEL_UPDATE_PLANS=1
/// writes the snapshots anew (into the source folder), for a change that is meant.
/// </summary>
[TestClass]
public sealed partial class PlanTests
{
    private static WireGuardConfig RelayConfig() =>
        WireGuardConfigParser.Parse(AgentContract.WireGuardFacts(Recordings.Answer("wireguard-facts").FactsJson!.Value).Current!, "wg0.conf");

    private static ApacheProxySite RecordedSite(string? serverName = null)
    {
        ApacheFacts facts = AgentContract.ApacheFacts(Recordings.Answer("apache-facts-stopped").FactsJson!.Value);
        string text = facts.Sites[0].Current!;
        if (serverName is not null)
        {
            text = text.Replace(ApacheSiteParser.Parse(text, "site", null, ownBackend: true)[0].ServerName, serverName, StringComparison.Ordinal);
        }
        return ApacheSiteParser.Parse(text, "site", null, ownBackend: true)[0];
    }

    private static WireGuardFacts WgFacts(string name) => AgentContract.WireGuardFacts(Recordings.Answer(name).FactsJson!.Value);

    private static ApacheFacts ApacheFactsOf(string name) => AgentContract.ApacheFacts(Recordings.Answer(name).FactsJson!.Value);

    public static IEnumerable<object[]> Cases => new[]
    {
        new object[] { "wireguard-unchanged", (Func<HostPlan>)(() => WireGuardPlanner.Plan(WgFacts("wireguard-facts"), RelayConfig(), "wg0", uninstall: false, force: false)) },
        new object[] { "wireguard-uninstall", (Func<HostPlan>)(() => WireGuardPlanner.Plan(WgFacts("wireguard-facts"), null, "wg0", uninstall: true, force: false)) },
        new object[] { "wireguard-handwritten-refused", (Func<HostPlan>)(() => WireGuardPlanner.Plan(WgFacts("wireguard-facts-handwritten"), RelayConfig(), "wg1", uninstall: false, force: false)) },
        new object[] { "wireguard-handwritten-forced", (Func<HostPlan>)(() => WireGuardPlanner.Plan(WgFacts("wireguard-facts-handwritten"), RelayConfig(), "wg1", uninstall: false, force: true)) },
        new object[] { "wireguard-stale-replanned", (Func<HostPlan>)(() => WireGuardPlanner.Plan(WgFacts("wireguard-apply-stale"), RelayConfig(), "wg0", uninstall: false, force: false)) },
        new object[] { "apache-new-site", (Func<HostPlan>)(() => ApachePlanner.Plan(ApacheFactsOf("apache-facts-new"), new[] { RecordedSite("other.example.test") }, uninstall: false, force: false)) },
        new object[] { "apache-name-taken", (Func<HostPlan>)(() => ApachePlanner.Plan(ApacheFactsOf("apache-facts-taken"), new[] { RecordedSite("taken.example.test") }, uninstall: false, force: false)) },
        new object[] { "apache-stopped-started", (Func<HostPlan>)(() => ApachePlanner.Plan(ApacheFactsOf("apache-facts-stopped"), new[] { RecordedSite() }, uninstall: false, force: false)) },
        new object[] { "apache-uninstall", (Func<HostPlan>)(() => ApachePlanner.Plan(ApacheFactsOf("apache-facts-stopped"), new[] { RecordedSite() }, uninstall: true, force: false)) },
        new object[] { "homefirewall-fence", (Func<HostPlan>)(() => NftTablePlanner.Plan(AgentContract.NftTableFacts(Recordings.Answer("homefirewall-facts").FactsJson!.Value),
            NftTable.HomeFirewall, new INftRuleFile[] { HomeFence.For("wg0") }, HomePortOpening.TableText(), uninstall: false, force: false)) },
    };

    [TestMethod]
    [DynamicData(nameof(Cases))]
    public void PlansAreTheReviewedOnes(string name, Func<HostPlan> plan)
    {
        string actual = Snapshot(plan());
        string path = Path.Combine(AppContext.BaseDirectory, "Plans", name + ".json");
        if (Environment.GetEnvironmentVariable("HOMETUNNEL_UPDATE_PLANS") == "1")
        {
            File.WriteAllText(Path.Combine(SourceFolder(), "Plans", name + ".json"), actual);
            return;
        }
        Assert.IsTrue(File.Exists(path), $"No reviewed plan for {name}: run the tests with HOMETUNNEL_UPDATE_PLANS=1, review Plans/{name}.json and commit it.");
        Assert.AreEqual(File.ReadAllText(path), actual, $"The plan for {name} is not the reviewed one (Plans/{name}.json).");
    }

    [TestMethod]
    public void EverySnapshotHasItsCase()
    {
        var cases = Cases.Select(c => (string)c[0]).ToHashSet(StringComparer.Ordinal);
        string[] orphans = Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "Plans"), "*.json")
            .Select(Path.GetFileNameWithoutExtension).Where(n => !cases.Contains(n!)).ToArray()!;
        Assert.IsEmpty(orphans, $"Snapshots without a case: {string.Join(", ", orphans)}.");
    }

    /// <summary>A plan as canonical JSON: members in name order at every depth, indented, one trailing newline.</summary>
    private static string Snapshot(HostPlan plan)
    {
        var node = new JsonObject
        {
            ["Changed"] = plan.Changed,
            ["ErrorId"] = plan.ErrorId,
            ["Message"] = plan.Message,
            ["Plan"] = plan.Plan is null ? null : JsonNode.Parse(AgentContract.PlanJson(plan.Plan).GetRawText()),
            ["Files"] = new JsonArray(plan.Files.Select(f => (JsonNode)new JsonObject { ["Path"] = f.Path, ["LiveOnly"] = f.LiveOnly, ["Current"] = f.Current }).ToArray()),
        };
        string text = Sorted(node)!.ToJsonString(new JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }) + "\n";
        // The keys go back to the recordings' placeholders: no key, not even a test's, is committed in a snapshot.
        for (int n = 0; n < 64; n++)
        {
            text = text.Replace(Recordings.Key(n), $"{{{{KEY:{n}}}}}", StringComparison.Ordinal);
        }
        Assert.IsFalse(KeyShape().IsMatch(text), $"A key that is no placeholder is in the plan: {KeyShape().Match(text).Value}");
        return text;
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"(?<![A-Za-z0-9+/])[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=(?![A-Za-z0-9+/=])")]
    private static partial System.Text.RegularExpressions.Regex KeyShape();

    private static JsonNode? Sorted(JsonNode? node) => node switch
    {
        JsonObject o => new JsonObject(o.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => KeyValuePair.Create(p.Key, Sorted(p.Value)))),
        JsonArray a => new JsonArray(a.Select(Sorted).ToArray()),
        null => null,
        _ => node.DeepClone(),
    };

    private static string SourceFolder([CallerFilePath] string path = "") => Path.GetDirectoryName(path)!;
}
