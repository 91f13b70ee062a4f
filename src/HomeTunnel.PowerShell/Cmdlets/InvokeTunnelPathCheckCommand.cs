using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Management.Automation;
using HomeTunnel.Probes;
using HomeTunnel.Scheduling;

namespace HomeTunnel.Cmdlets;

/// <summary>
/// Runs a registered check now, exactly as its scheduler does: Test-TunnelPath's check for every name it covers (one
/// session and one agent call per host), one log line per name, notices to the targets that need to hear
/// (on a change, and as a reminder while a name stays down), and the metrics file. The scheduled script is
/// this cmdlet and an exit code.
/// </summary>
[Cmdlet(VerbsLifecycle.Invoke, "TunnelPathCheck", DefaultParameterSetName = "Name")]
[OutputType(typeof(CheckRecord))]
public sealed class InvokeTunnelPathCheckCommand : HomeTunnelCmdlet
{
    /// <summary>The check's name, as Register-TunnelPathCheck made it (Get-TunnelPathCheck lists them).</summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = "Name", ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string Name { get; set; } = string.Empty;

    /// <summary>The check's data file (what the scheduled script passes).</summary>
    [Parameter(Mandatory = true, ParameterSetName = "DataPath")]
    [ValidateNotNullOrEmpty]
    public string DataPath { get; set; } = string.Empty;

    protected override void Process()
    {
        string path = ParameterSetName == "DataPath"
            ? FileSystemPath(DataPath)
            : Path.Combine(CheckLocations.ForCurrentUser().ScriptDirectory, TunnelPathCheckPlan.CheckName(Name) + ".json");
        CheckData data = CheckData.Load(path);
        DateTimeOffset now = DateTimeOffset.UtcNow;
        List<CheckRecord> records = Run(data, now);
        IReadOnlyList<CheckDelivery> deliveries = CheckRunner.Record(data, records, now, stop: StopToken);
        foreach (CheckDelivery d in deliveries)
        {
            if (d.Delivered)
            {
                WriteVerbose($"{d.ServerName}: told {d.Kind} {d.Target} ({d.Event}) in {d.Took.TotalMilliseconds:0} ms.");
            }
            else
            {
                WriteWarning($"{d.ServerName}: could not tell {d.Kind} {d.Target} ({d.Event}) after {d.Attempts} attempt(s): {d.Error}. The next run tries again.");
            }
        }
        WriteObject(records, enumerateCollection: true);
    }

    /// <summary>
    /// The checker for all the check's names in one run, with the parameters held to Test-TunnelPath's rules
    /// (TunnelPathRequest, the same code Test-TunnelPath uses); a name it gave no verdict for is an Error record.
    /// </summary>
    private List<CheckRecord> Run(CheckData data, DateTimeOffset now)
    {
        var records = new List<CheckRecord>();
        string? why = null;
        try
        {
            // A failover check judges its relay's own path (the site is asked at the relay's address), not the DNS
            // answer it manages: a withdrawn relay's check would otherwise fail on DNS until it is restored.
            var request = TunnelPathRequest.FromCheck(data.Parameters, data.Failover is null ? null : new[] { TunnelHop.Dns });
            string[] names = data.ServerNames.Select(n => DnsName.Normalize(n, "ServerName", "ServerName")).Distinct().ToArray();
            TunnelPathOptions options = request.Options(names[0], FileSystemPath);
            foreach (TunnelPathResult r in TunnelPathChecker.CheckMany(options, names, StopToken))
            {
                records.Add(CheckRecord.From(data.Name, r));
            }
        }
        catch (Exception e) when (e is HomeTunnelException or InvalidOperationException)
        {
            why = e.Message;
        }
        foreach (string name in data.ServerNames.Where(n => records.All(r => !string.Equals(r.ServerName, n, StringComparison.OrdinalIgnoreCase))))
        {
            records.Add(CheckRecord.Failed(data.Name, name, $"The check could not run: {why ?? "the checker gave no verdict"}", now));
        }
        return records;
    }
}
