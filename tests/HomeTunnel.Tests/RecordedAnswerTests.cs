using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using HomeTunnel.Hosts;
using HomeTunnel.Hosts.Contract;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace HomeTunnel.Tests;

[TestClass]
public sealed class RecordedAnswerTests
{
    public static IEnumerable<object[]> AllRecordings => Recordings.Names.Select(n => new object[] { n });

    [TestMethod]
    [DynamicData(nameof(AllRecordings))]
    public void EveryRecordingIsReadByItsKindsContract(string name)
    {
        string? kind = Recordings.KindOf(name);
        Assert.IsNotNull(kind, $"{name}.json answers no request kind this test knows: add it to Recordings.KindOf.");
        AgentAnswer answer = Recordings.Answer(name);
        if (answer.IsData)
        {
            Assert.IsNotNull(Recordings.ReadData(kind, answer));
        }
        else
        {
            Assert.AreNotEqual(string.Empty, answer.State);
        }
    }

    [TestMethod]
    public void EveryRequestKindTheAgentAnswersHasARecording()
    {
        string agent = AgentRequest.AgentText;
        // The change kinds and the reads (the dispatch's two tables), and the live steps the session dispatches by name.
        string dispatch = agent[agent.IndexOf("$script:Changes = @{", StringComparison.Ordinal)..agent.IndexOf("function Get-Change", StringComparison.Ordinal)];
        var kinds = Regex.Matches(dispatch, @"^    (\w+)\s*= (?:@\{|\{ param)", RegexOptions.Multiline).Select(m => m.Groups[1].Value)
            .Concat(Regex.Matches(agent, @"\$Request\.Kind -eq '(\w+)'").Select(m => m.Groups[1].Value))
            .ToHashSet(StringComparer.Ordinal);
        Assert.IsTrue(kinds.Count >= 12, $"Found only these kinds in the agent: {string.Join(", ", kinds)}.");
        var recorded = Recordings.Names.Select(Recordings.KindOf).Where(k => k is not null).ToHashSet(StringComparer.Ordinal);
        string[] missing = kinds.Where(k => !recorded.Contains(k)).Order(StringComparer.Ordinal).ToArray();
        Assert.IsEmpty(missing, $"No recording answers: {string.Join(", ", missing)} (tools/Record-AgentAnswers.ps1 records one of each).");
    }

    [TestMethod]
    public void EveryRecordingIsInTheFormatsVersion()
    {
        foreach (string name in Recordings.Names)
        {
            Assert.AreEqual(AgentRequest.ProtocolVersion, Recordings.Node(name)["Version"]!.GetValue<int>(), name);
        }
    }

    [TestMethod]
    public void TheAgentSpeaksTheModulesVersion()
    {
        Match m = Regex.Match(AgentRequest.AgentText, @"\$script:ProtocolVersion = (\d+)");
        Assert.IsTrue(m.Success, "The agent declares no $script:ProtocolVersion.");
        Assert.AreEqual(AgentRequest.ProtocolVersion.ToString(System.Globalization.CultureInfo.InvariantCulture), m.Groups[1].Value);
    }

    public static IEnumerable<object[]> BrokenFacts => new[]
    {
        new object[] { "an unknown member", (Action<JsonObject>)(f => f["Extra"] = "x"), "Extra" },
        new object[] { "a missing member", (Action<JsonObject>)(f => f.Remove("Up")), "Up" },
        new object[] { "a member of another type", (Action<JsonObject>)(f => f["Up"] = "true"), "Up" },
        new object[] { "a null where a value is due", (Action<JsonObject>)(f => f["Path"] = null), "Path" },
        new object[] { "a number as text", (Action<JsonObject>)(f => f["Boot"]!["Systemd"] = 0), "Systemd" },
        new object[] { "a lone item where a list is due", (Action<JsonObject>)(f => f["Peers"] = f["Peers"]!.AsArray()[0]!.DeepClone()), "Peers" },
        new object[] { "an unknown member deep inside", (Action<JsonObject>)(f => f["Peers"]!.AsArray()[0]!["Name"] = "home"), "Name" },
    };

    [TestMethod]
    [DynamicData(nameof(BrokenFacts))]
    public void FactsThatBreakTheContractAreRefusedNamingTheMember(string what, Action<JsonObject> breakIt, string member)
    {
        JsonObject answer = Recordings.Node("wireguard-facts");
        breakIt(answer["Facts"]!.AsObject());
        AgentAnswer parsed = AgentAnswer.Parse(answer.ToJsonString(), "relay");
        var e = Assert.ThrowsExactly<AgentContractException>(() => AgentContract.WireGuardFacts(parsed.FactsJson!.Value), what);
        StringAssert.Contains(e.Message, member, $"{what}: {e.Message}");
        Assert.AreEqual("AgentAnswerInvalid", e.For("relay").ErrorId);
    }

    public static IEnumerable<object[]> BrokenEnvelopes => new[]
    {
        new object[] { "facts without their fingerprint", "wireguard-facts", (Action<JsonObject>)(a => a.Remove("Fingerprint")), "AgentAnswerInvalid" },
        new object[] { "a change result with an unknown member", "wireguard-apply-changed", (Action<JsonObject>)(a => a["Diff"] = "x"), "AgentAnswerInvalid" },
        new object[] { "a state nobody knows", "wireguard-apply-changed", (Action<JsonObject>)(a => a["State"] = "Frobnicated"), "AgentAnswerInvalid" },
        new object[] { "actions that are no list of text", "wireguard-apply-changed", (Action<JsonObject>)(a => a["Actions"] = 3), "AgentAnswerInvalid" },
        new object[] { "another version", "status", (Action<JsonObject>)(a => a["Version"] = 2), "UnsupportedAgentVersion" },
        new object[] { "no version", "status", (Action<JsonObject>)(a => a.Remove("Version")), "UnsupportedAgentVersion" },
    };

    [TestMethod]
    [DynamicData(nameof(BrokenEnvelopes))]
    public void EnvelopesThatBreakTheContractAreRefused(string what, string name, Action<JsonObject> breakIt, string errorId)
    {
        JsonObject answer = Recordings.Node(name);
        breakIt(answer);
        var e = Assert.ThrowsExactly<HomeTunnelException>(() => AgentAnswer.Parse(answer.ToJsonString(), "relay"), what);
        Assert.AreEqual(errorId, e.ErrorId, what);
    }

    [TestMethod]
    public void ANonJsonAnswerIsRefused() =>
        Assert.AreEqual("AgentAnswerInvalid", Assert.ThrowsExactly<HomeTunnelException>(() => AgentAnswer.Parse("<Objs/>", "relay")).ErrorId);

    [TestMethod]
    public void AReadsAnswerThatBreaksItsContractIsRefused()
    {
        JsonObject answer = Recordings.Node("site-files");
        answer["Files"]!.AsArray()[0]!["Text"] = 5;
        AgentAnswer parsed = AgentAnswer.Parse(answer.ToJsonString(), "relay");
        StringAssert.Contains(Assert.ThrowsExactly<AgentContractException>(() => AgentContract.SiteFiles(parsed.Body)).Message, "Text");
    }
}
