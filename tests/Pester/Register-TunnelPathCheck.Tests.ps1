# The scheduled check as text (offline): the script, units and cron line, and every refusal.
BeforeAll {
    . $PSScriptRoot/Common.ps1
    function New-Plan([hashtable] $Parameters = @{}, [int] $Interval = 5) {
        [HomeTunnel.Scheduling.TunnelPathCheckPlan]@{
            Name = 'site.example.com'; ServerNames = [string[]]@('site.example.com'); IntervalMinutes = $Interval
            ModulePath = '/opt/HomeTunnel'; PwshCommand = @('/usr/bin/pwsh'); ScriptPath = '/etc/hometunnel/checks/site.example.com.ps1'
            LogPath = '/var/log/hometunnel/site.example.com.jsonl'
            Parameters = [HomeTunnel.Scheduling.TunnelPathCheckPlan]::CheckParameters($Parameters)
        }
    }
}

Describe 'The check script' {
    It 'holds no value of the check: the values are data in the .json beside it' {
        $plan = New-Plan @{ RelayHostName = 'vps.example.com'; KeyFilePath = '/root/it''s $(rm -rf /)/id'; LocalHome = $true; Port = 80, 443; TimeoutSeconds = 15 }
        $text = $plan.Script()
        $text | Should -BeExactly (New-Plan).Script()
        $text | Should -Not -Match 'rm -rf'
        $tokens = $errors = $null
        $null = [System.Management.Automation.Language.Parser]::ParseInput($text, [ref] $tokens, [ref] $errors)
        $errors | Should -BeNullOrEmpty
        $data = $plan.Data() | ConvertFrom-Json -AsHashtable
        $data.ServerName | Should -Be 'site.example.com'
        $data.Parameters.KeyFilePath | Should -BeExactly '/root/it''s $(rm -rf /)/id'
        $data.Parameters.LocalHome | Should -BeTrue
        $data.Parameters.Port | Should -Be @(80, 443)
        $data.Parameters.TimeoutSeconds | Should -Be 15
        $plan.DataPath | Should -Be '/etc/hometunnel/checks/site.example.com.json'
    }

    It 'runs Invoke-TunnelPathCheck on its data, exits 1 on Fail and 2 when it could not run, and logs that itself' {
        $text = (New-Plan).Script()
        $text | Should -Match 'Invoke-TunnelPathCheck -DataPath \$dataPath'
        $text | Should -Match "Where-Object Status -EQ 'Error'\).Count\) \{ 2 \} elseif \(@\(\`$records \| Where-Object Status -EQ 'Fail'\).Count\) \{ 1 \} else \{ 0 \}"
        $text | Should -Match 'ExitCode = 2'
        $text | Should -Match 'ConvertTo-Json -Compress'
    }

    It 'keeps the notify targets, reminder and metrics path as data, the tokens only there' {
        $plan = [HomeTunnel.Scheduling.TunnelPathCheckPlan]@{
            Name = 'both'; ServerNames = [string[]]@('a.example.com', 'b.example.com'); IntervalMinutes = 5; ModulePath = '/opt/HomeTunnel'
            PwshCommand = @('/usr/bin/pwsh'); ScriptPath = '/etc/hometunnel/checks/both.ps1'; LogPath = '/var/log/hometunnel/both.jsonl'
            Notify = [HomeTunnel.Scheduling.NotifyTarget[]]@([HomeTunnel.Scheduling.NotifyTarget]::Parse('https://ntfy.sh/tok-1', 'Auto'))
            ReminderHours = 6; MetricsPath = '/var/lib/node-exporter/hometunnel.prom'
        }
        $plan.Script() | Should -Not -Match 'tok-1|ntfy'
        $data = $plan.Data() | ConvertFrom-Json -AsHashtable
        $data.ServerNames | Should -Be @('a.example.com', 'b.example.com')
        $data.Notify[0].Uri | Should -Be 'https://ntfy.sh/tok-1'
        $data.Notify[0].Kind | Should -Be 'Ntfy'
        $data.ReminderHours | Should -Be 6
        $data.MetricsPath | Should -Be '/var/lib/node-exporter/hometunnel.prom'
        $file = Join-Path $TestDrive 'both.json'
        Set-Content -LiteralPath $file -Value $plan.Data()
        $back = [HomeTunnel.Scheduling.CheckData]::Load($file)
        $back.ServerNames | Should -Be @('a.example.com', 'b.example.com')
        $back.Notify[0].Display | Should -Be 'https://ntfy.sh/…'
    }
}

Describe 'The scheduler entries' {
    It 'renders a oneshot service and a timer every N minutes' {
        $plan = New-Plan -Interval 10
        $plan.ServiceUnit() | Should -Match '(?m)^Type=oneshot$'
        $plan.ServiceUnit() | Should -Match '(?m)^ExecStart=/usr/bin/pwsh -NoProfile -NonInteractive -File /etc/hometunnel/checks/site.example.com.ps1$'
        $plan.TimerUnit() | Should -Match '(?m)^OnUnitActiveSec=10min$'
        $plan.TimerUnit() | Should -Match '(?m)^WantedBy=timers.target$'
    }

    It 'renders cron schedules for minutes and hours' -ForEach @(
        @{ Minutes = 1; Schedule = '*/1 * * * *' }
        @{ Minutes = 15; Schedule = '*/15 * * * *' }
        @{ Minutes = 120; Schedule = '0 */2 * * *' }
        @{ Minutes = 1440; Schedule = '0 0 * * *' }
    ) {
        (New-Plan -Interval $Minutes).CronSchedule() | Should -Be $Schedule
        (New-Plan -Interval $Minutes).CronLine($true) | Should -Match "^$([regex]::Escape($Schedule)) root /usr/bin/pwsh .* # HomeTunnel check site.example.com$"
    }

    It 'shell-quotes paths with spaces or quotes in the command line' {
        $plan = [HomeTunnel.Scheduling.TunnelPathCheckPlan]@{ Name = 'a'; ServerNames = [string[]]@('a.example'); IntervalMinutes = 5; PwshCommand = @('/opt/my pwsh/pwsh'); ScriptPath = "/tmp/it's.ps1" }
        $plan.CommandLine() | Should -Be "'/opt/my pwsh/pwsh' -NoProfile -NonInteractive -File '/tmp/it'\''s.ps1'"
    }
}

Describe 'A check''s data, read as Test-TunnelPath would take it' {
    It 'takes the values Test-TunnelPath takes, with its defaults' {
        $values = [System.Collections.Generic.Dictionary[string, object]]::new([StringComparer]::OrdinalIgnoreCase)
        $values['RelayAddress'] = '203.0.113.10'; $values['port'] = [int[]]@(80, 443); $values['Https'] = $true; $values['TimeoutSeconds'] = 30
        $request = [HomeTunnel.Probes.TunnelPathRequest]::FromCheck($values, $null)
        $options = $request.Options('site.example.com', [Func[string, string]] { param($p) $p })
        $options.RelayAddress | Should -Be '203.0.113.10'
        $options.Ports | Should -Be @(80, 443)
        $options.Https | Should -BeTrue
        $options.Deadline.TotalSeconds | Should -Be 30
        $options.InterfaceName | Should -Be 'wg0'
        $options.Relay | Should -BeNullOrEmpty
        $options.HandshakeFail.TotalSeconds | Should -Be 180
    }

    It 'refuses <Case> as Test-TunnelPath would (<Id>)' -ForEach @(
        @{ Case = 'a timeout out of its range'; Key = 'TimeoutSeconds'; Value = 601; Id = 'InvalidCheckParameterValue' }
        @{ Case = 'a port out of range'; Key = 'Port'; Value = [int[]]@(80, 70000); Id = 'InvalidCheckParameterValue' }
        @{ Case = 'a number where a name goes'; Key = 'RelayHostName'; Value = 5; Id = 'InvalidCheckParameterValue' }
        @{ Case = 'a name with a line break'; Key = 'UserName'; Value = "root`nx"; Id = 'InvalidCheckParameterValue' }
        @{ Case = 'a path that is no URL path'; Key = 'UrlPath'; Value = 'x y'; Id = 'InvalidCheckParameterValue' }
        @{ Case = 'text where a switch goes'; Key = 'Https'; Value = 'yes'; Id = 'InvalidCheckParameterValue' }
        @{ Case = 'a session'; Key = 'RelaySession'; Value = 'x'; Id = 'UnknownCheckParameter' }
        @{ Case = 'a name Test-TunnelPath has not'; Key = 'Bogus'; Value = 1; Id = 'UnknownCheckParameter' }
        @{ Case = 'an interface name that is not one'; Key = 'InterfaceName'; Value = 'wg0;rm'; Id = 'InterfaceName*' }
    ) {
        $values = [System.Collections.Generic.Dictionary[string, object]]::new([StringComparer]::OrdinalIgnoreCase)
        $values[$Key] = $Value
        $e = $null
        try { ([HomeTunnel.Probes.TunnelPathRequest]::FromCheck($values, $null)).Options('a.example', [Func[string, string]] { param($p) $p }) | Out-Null } catch { $e = $_.Exception.GetBaseException() }
        $e | Should -Not -BeNullOrEmpty
        $e.ErrorId | Should -BeLike $Id
    }
}

Describe 'The Windows task' {
    BeforeAll {
        $schema = [System.Xml.Schema.XmlSchemaSet]::new()
        $null = $schema.Add([HomeTunnel.Scheduling.CheckTaskDefinition]::Namespace, "$PSScriptRoot/fixtures/tasks/task-1.2-subset.xsd")
        function Test-TaskXml([string] $Xml) {
            # Every error the schema finds, as text: none is valid.
            $errors = [System.Collections.Generic.List[string]]::new()
            $settings = [System.Xml.XmlReaderSettings]::new()
            $settings.ValidationType = 'Schema'; $settings.Schemas = $schema
            $settings.add_ValidationEventHandler({ param($s, $e) $errors.Add("$($e.Severity): $($e.Message)") }.GetNewClosure())
            $reader = [System.Xml.XmlReader]::Create([IO.StringReader]::new($Xml), $settings)
            try { while ($reader.Read()) { } } finally { $reader.Dispose() }
            , $errors.ToArray()
        }
        $windows = [HomeTunnel.Scheduling.TunnelPathCheckPlan]@{
            Name = 'site.example.com'; ServerNames = [string[]]@('site.example.com'); IntervalMinutes = 5
            ModulePath = 'C:\Program Files\PowerShell\Modules\HomeTunnel'; PwshCommand = @('C:\Program Files\PowerShell\7\pwsh.exe')
            ScriptPath = 'C:\ProgramData\HomeTunnel\checks\site.example.com.ps1'; LogPath = 'C:\ProgramData\HomeTunnel\logs\site.example.com.jsonl'
        }
        $start = [datetime]::new(2026, 12, 6, 8, 0, 0)
    }

    It 'is, for <RunAs>, exactly the reviewed definition, and valid under the schema' -ForEach @(
        @{ RunAs = 'CurrentUser' }, @{ RunAs = 'System' }, @{ RunAs = 'LoggedOnUser' }
    ) {
        $xml = [HomeTunnel.Scheduling.CheckTaskDefinition]::Xml($windows, $RunAs, 'HOST\alice', $start)
        $fixture = "$PSScriptRoot/fixtures/tasks/check-$($RunAs.ToLowerInvariant()).xml"
        if ($env:HOMETUNNEL_UPDATE_SNAPSHOTS -eq '1') { [IO.File]::WriteAllText($fixture, $xml) }
        $xml | Should -BeExactly ([IO.File]::ReadAllText($fixture))
        Test-TaskXml $xml | Should -BeNullOrEmpty
    }

    It 'runs logged on or not without a window, on battery, one at a time, for no longer than its interval' {
        $task = [xml][HomeTunnel.Scheduling.CheckTaskDefinition]::Xml($windows, 'CurrentUser', 'HOST\alice', $start)
        $task.Task.Principals.Principal.LogonType | Should -Be 'S4U'
        $task.Task.Settings.DisallowStartIfOnBatteries | Should -Be 'false'
        $task.Task.Settings.StopIfGoingOnBatteries | Should -Be 'false'
        $task.Task.Settings.MultipleInstancesPolicy | Should -Be 'IgnoreNew'
        $task.Task.Settings.ExecutionTimeLimit | Should -Be 'PT5M'
        $task.Task.Triggers.TimeTrigger.Repetition.Interval | Should -Be 'PT5M'
        $task.Task.Actions.Exec.Command | Should -Be 'C:\Program Files\PowerShell\7\pwsh.exe'
        $task.Task.Actions.Exec.Arguments | Should -Be '-NoProfile -NonInteractive -File C:\ProgramData\HomeTunnel\checks\site.example.com.ps1'
        # Only while logged on, the window is hidden by pwsh itself.
        ([xml][HomeTunnel.Scheduling.CheckTaskDefinition]::Xml($windows, 'LoggedOnUser', 'HOST\alice', $start)).Task.Actions.Exec.Arguments | Should -Match '^-WindowStyle Hidden '
    }

    It 'keeps a path''s XML characters as data, never markup' {
        $odd = [HomeTunnel.Scheduling.TunnelPathCheckPlan]@{
            Name = 'odd'; ServerNames = [string[]]@('a.example'); IntervalMinutes = 45; PwshCommand = @('C:\A&B <x>\pwsh.exe'); ScriptPath = 'C:\It''s "here"\odd.ps1'
        }
        $xml = [HomeTunnel.Scheduling.CheckTaskDefinition]::Xml($odd, 'System', 'HOST\alice', $start)
        Test-TaskXml $xml | Should -BeNullOrEmpty
        $task = [xml]$xml
        $task.Task.Actions.Exec.Command | Should -Be 'C:\A&B <x>\pwsh.exe'
        $task.Task.Actions.Exec.Arguments | Should -Be '-NoProfile -NonInteractive -File "C:\It''s \"here\"\odd.ps1"'
        $task.Task.Principals.Principal.UserId | Should -Be 'S-1-5-18'
        $task.Task.Triggers.TimeTrigger.Repetition.Interval | Should -Be 'PT45M'
    }

    It 'writes <Minutes> minutes as <Duration>, which the schema takes' -ForEach @(
        @{ Minutes = 1; Duration = 'PT1M' }, @{ Minutes = 90; Duration = 'PT1H30M' }, @{ Minutes = 1440; Duration = 'P1D' }
        @{ Minutes = 2190; Duration = 'P1DT12H30M' }, @{ Minutes = 44640; Duration = 'P31D' }
    ) {
        [HomeTunnel.Scheduling.CheckTaskDefinition]::Duration($Minutes) | Should -Be $Duration
        $plan = [HomeTunnel.Scheduling.TunnelPathCheckPlan]@{ Name = 'd'; ServerNames = [string[]]@('a.example'); IntervalMinutes = $Minutes; PwshCommand = @('pwsh.exe'); ScriptPath = 'C:\d.ps1' }
        Test-TaskXml ([HomeTunnel.Scheduling.CheckTaskDefinition]::Xml($plan, 'CurrentUser', 'HOST\alice', $start)) | Should -BeNullOrEmpty
    }

    It 'fails the schema when an interval is out of its range (the test can fail)' {
        $xml = [HomeTunnel.Scheduling.CheckTaskDefinition]::Xml($windows, 'CurrentUser', 'HOST\alice', $start).Replace('<Interval>PT5M</Interval>', '<Interval>P32D</Interval>')
        Test-TaskXml $xml | Should -Not -BeNullOrEmpty
        Test-TaskXml ($xml.Replace('<Priority>7</Priority>', '<Priority>7</Priority><Bogus>1</Bogus>')) | Should -Not -BeNullOrEmpty
    }

    It 'checks intervals per scheduler: cron only even ones, systemd and Task Scheduler any up to 31 days' {
        [HomeTunnel.Scheduling.TunnelPathCheckPlan]::CheckInterval(7, 'TaskScheduler') | Should -Be 7
        [HomeTunnel.Scheduling.TunnelPathCheckPlan]::CheckInterval(7, 'Systemd') | Should -Be 7
        [HomeTunnel.Scheduling.TunnelPathCheckPlan]::CheckInterval(44640, 'TaskScheduler') | Should -Be 44640
        { [HomeTunnel.Scheduling.TunnelPathCheckPlan]::CheckInterval(44641, 'TaskScheduler') } | Should -Throw -ExpectedMessage '*1 to 44640*'
        { [HomeTunnel.Scheduling.TunnelPathCheckPlan]::CheckInterval(7, 'Cron') } | Should -Throw -ExpectedMessage '*cron*'
    }
}

Describe 'Register-TunnelPathCheck refuses bad input, changing nothing' {
    It '<Case>' -ForEach @(
        @{ Case = 'a session cannot be fixed in a script'; Call = { Register-TunnelPathCheck site.example.com @{ RelaySession = 'x' } -WhatIf }; Id = 'UnknownCheckParameter' }
        @{ Case = 'an unknown parameter'; Call = { Register-TunnelPathCheck site.example.com @{ Bogus = 1 } -WhatIf }; Id = 'UnknownCheckParameter' }
        @{ Case = 'a value with a newline'; Call = { Register-TunnelPathCheck site.example.com @{ UserName = "root`nrm" } -WhatIf }; Id = 'InvalidCheckParameterValue' }
        @{ Case = 'a script block value'; Call = { Register-TunnelPathCheck site.example.com @{ UserName = { 'x' } } -WhatIf }; Id = 'InvalidCheckParameterValue' }
        @{ Case = 'an interval cron cannot keep'; Call = { Register-TunnelPathCheck site.example.com -Scheduler Cron -IntervalMinutes 7 -WhatIf }; Id = 'InvalidCheckInterval' }
        @{ Case = 'a run-as account for cron'; Call = { Register-TunnelPathCheck site.example.com -Scheduler Cron -RunAs System -WhatIf }; Id = 'RunAsNeedsTaskScheduler' }
        @{ Case = 'a check name with a slash'; Call = { Register-TunnelPathCheck site.example.com -Name '../../etc/x' -WhatIf }; Id = 'InvalidCheckName' }
        @{ Case = 'a server name with a space'; Call = { Register-TunnelPathCheck 'site example.com' -WhatIf }; Id = 'ServerName*' }
        @{ Case = 'unregistering a bad name'; Call = { Unregister-TunnelPathCheck '-rf' -WhatIf }; Id = 'InvalidCheckName' }
    ) {
        $e = Get-ErrorRecord $Call
        $e.FullyQualifiedErrorId | Should -BeLike "$Id,*"
        $e.CategoryInfo.Category | Should -Be 'InvalidArgument'
        $e.TargetObject | Should -Not -BeNullOrEmpty
    }

    It '-WhatIf writes nothing' {
        $where = [HomeTunnel.Scheduling.CheckLocations]::ForCurrentUser()
        $script = Join-Path $where.ScriptDirectory 'whatif.example.com.ps1'
        Register-TunnelPathCheck whatif.example.com -Scheduler Cron -WhatIf | Should -BeNullOrEmpty
        Test-Path $script | Should -BeFalse
    }
}
