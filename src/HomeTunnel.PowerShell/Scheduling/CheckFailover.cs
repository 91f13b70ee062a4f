using System;
using System.Linq;
using System.Net;
using System.Threading;
using HomeTunnel.DnsUpdate;

namespace HomeTunnel.Scheduling;

/// <summary>
/// A check of one relay's path that also keeps that relay in the name's DNS records (Register-TunnelPathCheck
/// -FailoverAddress): after <see cref="After"/> failed runs in a row its address is withdrawn from the name, after
/// <see cref="RestoreAfter"/> passing runs it is put back. Each relay's check manages only its own address, and never
/// withdraws the last one. The key file's path is kept, never the key.
/// </summary>
public sealed class CheckFailover
{
    public string Address { get; init; } = string.Empty;
    public string DnsServer { get; init; } = string.Empty;
    public string KeyFile { get; init; } = string.Empty;
    public int After { get; init; } = 3;
    public int RestoreAfter { get; init; } = 2;

    [Newtonsoft.Json.JsonConverter(typeof(Newtonsoft.Json.Converters.StringEnumConverter))]
    public enum Action
    {
        None,
        Withdraw,
        Restore,
    }

    /// <summary>What a run's verdict asks for, from the name's state (its streaks and whether the address is out).</summary>
    public Action Decide(CheckNameState s) =>
        s.Status == "Fail" ? (!s.Withdrawn && s.FailStreak >= After ? Action.Withdraw : Action.None)
        : (s.Withdrawn && s.PassStreak >= RestoreAfter ? Action.Restore : Action.None);

    /// <summary>
    /// Withdraws or restores the address in the name's records (one signed compare-and-swap update, read back) and says
    /// what happened in a sentence; the state's Withdrawn follows what the zone holds. A DNS error is the sentence, not
    /// an exception: the check goes on, and the next run tries again.
    /// </summary>
    public string Apply(Action action, string name, CheckNameState s, CancellationToken token)
    {
        IPAddress ip = IPAddress.Parse(Address);
        try
        {
            var editor = new DnsZoneEditor(HomeTunnel.Probes.DnsProbe.ParseServer(DnsServer), TsigKey.FromFile(KeyFile), TimeSpan.FromSeconds(5));
            string zone = editor.FindZone(name, token);
            DnsNameState have = editor.Read(name, token);
            if (!have.Owned)
            {
                return $"{name}'s records are not HomeTunnel's; {Address} was left as it is";
            }
            bool there = have.Addresses.Contains(ip);
            if (action == Action.Withdraw)
            {
                if (!there)
                {
                    s.Withdrawn = true;
                    return $"{Address} was already out of {name}'s records";
                }
                if (have.Addresses.Count <= 1)
                {
                    return $"{Address} is {name}'s last address: it stays, since a name with no address helps no visitor";
                }
                editor.Update(zone, have, have with { Addresses = have.Addresses.Where(a => !a.Equals(ip)).ToArray() }, token);
            }
            else if (!there)
            {
                editor.Update(zone, have, have with { Addresses = have.Addresses.Append(ip).OrderBy(a => a.ToString(), StringComparer.Ordinal).ToArray() }, token);
            }
            DnsNameState now = editor.Read(name, token);
            s.Withdrawn = !now.Addresses.Contains(ip);
            return action == Action.Withdraw
                ? $"withdrew {Address} from {name} after {s.FailStreak} failed runs; it now points at {string.Join(", ", now.Addresses)}"
                : $"put {Address} back in {name} after {s.PassStreak} passing runs; it now points at {string.Join(", ", now.Addresses)}";
        }
        catch (HomeTunnelException e)
        {
            return $"could not {(action == Action.Withdraw ? "withdraw" : "restore")} {Address} in {name}'s records: {e.Message}";
        }
    }
}
