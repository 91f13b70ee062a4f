using System;
using System.Globalization;
using System.Linq;
using System.Text;
using System.Xml;

namespace HomeTunnel.Scheduling;

/// <summary>
/// A check as a Task Scheduler task definition (the XML schtasks /Create /XML takes, schema version 1.2): every N
/// minutes from registration, one run at a time (a run still going makes the next wait), started late after a
/// sleep, on battery too, stopped after its interval at most, and run as the chosen principal (<see cref="CheckRunAs"/>).
/// Written with XmlWriter, so no value (a path, a user name) can add an element. Tested against the schema's own
/// definitions of the elements it writes (tests/Pester/fixtures/tasks).
/// </summary>
public static class CheckTaskDefinition
{
    public const string Namespace = "http://schemas.microsoft.com/windows/2004/02/mit/task";

    /// <summary>The longest repetition interval the schema allows (repetitionType's Interval: PT1M to P31D).</summary>
    public const int MaxIntervalMinutes = 31 * 24 * 60;

    /// <summary>The local system account's SID, as exported tasks name it.</summary>
    public const string SystemSid = "S-1-5-18";

    /// <param name="user">The registering user (DOMAIN\name) for CurrentUser and LoggedOnUser.</param>
    /// <param name="start">The first run (StartBoundary, local time without an offset, as the task's own clock).</param>
    public static string Xml(TunnelPathCheckPlan plan, CheckRunAs runAs, string user, DateTime start)
    {
        if (plan.IntervalMinutes is < 1 or > MaxIntervalMinutes)
        {
            throw new ArgumentOutOfRangeException(nameof(plan), "The interval is checked by TunnelPathCheckPlan.CheckInterval.");
        }
        var sb = new StringBuilder();
        var settings = new XmlWriterSettings { Indent = true, IndentChars = "  ", OmitXmlDeclaration = true, NewLineChars = "\n" };
        using (XmlWriter w = XmlWriter.Create(sb, settings))
        {
            w.WriteStartElement("Task", Namespace);
            w.WriteAttributeString("version", "1.2");

            w.WriteStartElement("RegistrationInfo");
            w.WriteElementString("Description", $"{TunnelPathCheckPlan.Marker} (Register-TunnelPathCheck {plan.Name}): every {plan.IntervalMinutes} min, the path of {string.Join(", ", plan.ServerNames)}.");
            w.WriteElementString("URI", $"\\HomeTunnel\\{plan.Name}");
            w.WriteEndElement();

            w.WriteStartElement("Triggers");
            w.WriteStartElement("TimeTrigger");
            w.WriteElementString("Enabled", "true");
            w.WriteElementString("StartBoundary", start.ToString("yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture));
            w.WriteStartElement("Repetition");
            w.WriteElementString("Interval", Duration(plan.IntervalMinutes));
            w.WriteElementString("StopAtDurationEnd", "false");
            w.WriteEndElement();
            w.WriteEndElement();
            w.WriteEndElement();

            w.WriteStartElement("Principals");
            w.WriteStartElement("Principal");
            w.WriteAttributeString("id", "Author");
            switch (runAs)
            {
                case CheckRunAs.System:
                    w.WriteElementString("UserId", SystemSid);
                    break;
                case CheckRunAs.LoggedOnUser:
                    w.WriteElementString("UserId", user);
                    w.WriteElementString("LogonType", "InteractiveToken");
                    break;
                default:
                    w.WriteElementString("UserId", user);
                    w.WriteElementString("LogonType", "S4U");
                    break;
            }
            w.WriteElementString("RunLevel", "LeastPrivilege");
            w.WriteEndElement();
            w.WriteEndElement();

            w.WriteStartElement("Settings");
            w.WriteElementString("MultipleInstancesPolicy", "IgnoreNew");
            w.WriteElementString("DisallowStartIfOnBatteries", "false");
            w.WriteElementString("StopIfGoingOnBatteries", "false");
            w.WriteElementString("AllowHardTerminate", "true");
            w.WriteElementString("StartWhenAvailable", "true");
            w.WriteElementString("RunOnlyIfNetworkAvailable", "false");
            w.WriteStartElement("IdleSettings");
            w.WriteElementString("StopOnIdleEnd", "false");
            w.WriteElementString("RestartOnIdle", "false");
            w.WriteEndElement();
            w.WriteElementString("AllowStartOnDemand", "true");
            w.WriteElementString("Enabled", "true");
            w.WriteElementString("Hidden", "false");
            w.WriteElementString("RunOnlyIfIdle", "false");
            w.WriteElementString("WakeToRun", "false");
            // A run never outlasts its interval (a check has its own deadline well inside it).
            w.WriteElementString("ExecutionTimeLimit", Duration(Math.Min(plan.IntervalMinutes, 72 * 60)));
            w.WriteElementString("Priority", "7");
            w.WriteEndElement();

            w.WriteStartElement("Actions");
            w.WriteAttributeString("Context", "Author");
            w.WriteStartElement("Exec");
            string[] parts = plan.TaskCommand(hiddenWindow: runAs == CheckRunAs.LoggedOnUser);
            w.WriteElementString("Command", parts[0]);
            w.WriteElementString("Arguments", string.Join(' ', parts[1..].Select(TunnelPathCheckPlan.WindowsQuote)));
            w.WriteEndElement();
            w.WriteEndElement();

            w.WriteEndElement();
        }
        return sb.ToString() + "\n";
    }

    /// <summary>An xs:duration of whole minutes, as Task Scheduler writes them (PT5M, PT1H30M, P1D, P1DT12H30M).</summary>
    public static string Duration(int minutes) => XmlConvert.ToString(TimeSpan.FromMinutes(minutes));
}
