using System;
using System.Linq;
using System.Text.Json;
using HomeTunnel.Hosts;
using HomeTunnel.Hosts.Contract;
using HomeTunnel.WireGuard;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace HomeTunnel.Tests;

/// <summary>The requests' side of the contract: their shape on the wire, and the secrets each shape declares.</summary>
[TestClass]
public sealed class RequestTests
{
    private static WireGuardConfig Config(bool psk = false) => WireGuardConfigParser.Parse(
        $"[Interface]\nPrivateKey = {Recordings.Key(1)}\nAddress = 192.168.4.1/24\nListenPort = 51820\n\n[Peer]\nPublicKey = {Recordings.Key(2)}\n" +
        (psk ? $"PresharedKey = {Recordings.Key(3)}\n" : string.Empty) + "AllowedIPs = 192.168.4.2/32\n", "wg0.conf");

    private static JsonElement Wire(HostRequest request) => JsonDocument.Parse(request.ToJson()).RootElement;

    [TestMethod]
    public void AWireGuardRequestDeclaresItsKeysAsSecretsAndSendsThemOnlyInsideTheFile()
    {
        WireGuardRequest r = AgentRequest.WireGuard(Config(psk: true), "wg0", uninstall: false);
        CollectionAssert.AreEquivalent(new[] { Recordings.Key(1), Recordings.Key(3) }, r.Secrets.ToArray());
        JsonElement wire = Wire(r);
        Assert.IsFalse(wire.TryGetProperty("Keys", out _), "the keys cross only inside the file's text");
        Assert.IsFalse(wire.TryGetProperty("Secrets", out _), "no side list of secrets crosses");
        string json = r.ToJson();
        Assert.AreEqual(2, json.Split(Recordings.Key(1)).Length - 1, "the private key crosses in the file (Text) and in syncconf's file (StrippedText), nowhere else");
    }

    [TestMethod]
    public void ARotationDeclaresItsKeysAsSecrets()
    {
        var privateKey = WireGuardPrivateKey.Parse(Recordings.Key(4));
        RotateHomeRequest r = AgentRequest.RotateHome("wg0", Recordings.Key(2), privateKey, null, 10);
        CollectionAssert.AreEqual(new[] { Recordings.Key(4) }, r.Secrets.ToArray());
        Assert.AreEqual(Recordings.Key(4), Wire(r).GetProperty("PrivateKey").GetString(), "the agent needs the key itself");
    }

    [TestMethod]
    public void AReadDeclaresNoSecrets() =>
        Assert.IsEmpty(AgentRequest.Status("wg0").Secrets);

    [TestMethod]
    public void EveryRequestCarriesTheEnvelopeTheAgentReads()
    {
        HostRequest[] all =
        {
            AgentRequest.WireGuard(Config(), "wg0", uninstall: false),
            AgentRequest.Status("wg0"),
            AgentRequest.HomeProbe("wg0"),
            AgentRequest.Managed("Sites"),
            AgentRequest.RelayProbe("wg0", 2000),
            AgentRequest.SiteFiles(new[] { "/etc/apache2/sites-enabled/a.conf" }),
            AgentRequest.ConnectProbe(new[] { ("192.168.4.2", 3000) }, 2000),
            AgentRequest.NatProbe("NatProbeRelay", new[] { 40001 }, new[] { 5 }, 10),
            AgentRequest.MtuProbe("wg0", new[] { ("Path", "203.0.113.1", 576, 1500) }),
            AgentRequest.NftRules(HomeTunnel.Forwards.NftTable.HomeFirewall, new HomeTunnel.Forwards.INftRuleFile[] { HomeTunnel.Forwards.HomeFence.For("wg0") }, uninstall: false),
        };
        foreach (HostRequest r in all)
        {
            JsonElement wire = Wire(r);
            Assert.AreEqual(AgentRequest.ProtocolVersion, wire.GetProperty("Version").GetInt32(), r.Kind);
            Assert.AreEqual(r.Kind, wire.GetProperty("Kind").GetString());
            foreach (string member in new[] { "Name", "Uninstall", "TimeoutSeconds", "WorkerIdleSeconds", "Force", "Plan", "Fingerprint" })
            {
                Assert.IsTrue(wire.TryGetProperty(member, out _), $"{r.Kind} has no {member}");
            }
            Assert.AreEqual(JsonValueKind.Null, wire.GetProperty("Plan").ValueKind, $"{r.Kind}: a facts call carries no plan");
        }
    }

    [TestMethod]
    public void AnApplyCarriesThePlanAndTheFingerprint()
    {
        var plan = new WireGuardPlan("/etc/x", null, Up: true, FileChanged: true, LiveChanged: false, Restart: false, Mtu: null,
            new WireGuardBootPlan(false, false, false, false, new System.Collections.Generic.Dictionary<string, string>()));
        HostRequest r = AgentRequest.WireGuard(Config(), "wg0", uninstall: false).Applying(plan, "AB", force: true);
        JsonElement wire = Wire(r);
        Assert.AreEqual("/etc/x", wire.GetProperty("Plan").GetProperty("Path").GetString());
        Assert.IsTrue(wire.GetProperty("Plan").GetProperty("Up").GetBoolean());
        Assert.AreEqual(JsonValueKind.Null, wire.GetProperty("Plan").GetProperty("Mtu").ValueKind);
        Assert.AreEqual("AB", wire.GetProperty("Fingerprint").GetString());
        Assert.IsTrue(wire.GetProperty("Force").GetBoolean());
    }
}
