# A scheduled check's news, offline: the targets (and how their tokens stay hidden), when a target hears
# something, what each kind of target is sent, the log lines and the Prometheus file.
# With real runs and a real receiver: TunnelPathCheck.Lab.Tests.ps1 (and Systemd.Lab.Tests.ps1 for the timer).
BeforeAll {
    . $PSScriptRoot/Common.ps1
    $now = [DateTimeOffset]::Parse('2026-12-01T10:00:00Z')
    function New-Name([string] $Status) { $s = [HomeTunnel.Scheduling.CheckState]::new(); $s.Observe('a.example.com', $Status, $now) }
    function Get-Body($Request) { $Request.Content.ReadAsStringAsync().GetAwaiter().GetResult() }
    $notice = [HomeTunnel.Scheduling.CheckNotice]::new('home', 'a.example.com', 'Down', 'Fail', 'Pass', 'HomeService', 'the relay cannot reach http://192.168.4.2:3000/', 'Start the service.', $now)
}

Describe 'Notify targets' {
    It 'recognises <Uri> as <Kind>' -TestCases @(
        @{ Uri = 'https://hc-ping.com/5a8f2c1e-aaaa-bbbb-cccc-1234567890ab'; Kind = 'Healthchecks' }
        @{ Uri = 'https://checks.example.org/ping/5a8f2c1e-aaaa-bbbb-cccc-1234567890ab'; Kind = 'Healthchecks' }
        @{ Uri = 'https://ntfy.sh/my-secret-topic'; Kind = 'Ntfy' }
        @{ Uri = 'https://ntfy.example.org/alerts'; Kind = 'Ntfy' }
        @{ Uri = 'https://hooks.example.com/services/T000/B000/XXXX'; Kind = 'Webhook' }
    ) {
        [HomeTunnel.Scheduling.NotifyTarget]::Parse($Uri, 'Auto').Kind | Should -Be $Kind
    }

    It 'shows only the scheme and host, and hides the token wherever it appears' {
        $t = [HomeTunnel.Scheduling.NotifyTarget]::Parse('https://ntfy.sh/my-secret-topic?auth=tok3n', 'Auto')
        $t.Display | Should -Be 'https://ntfy.sh/…'
        "$t" | Should -Be 'Ntfy https://ntfy.sh/…'
        $t.Redact('POST https://ntfy.sh/my-secret-topic?auth=tok3n failed (/my-secret-topic?auth=tok3n)') | Should -Not -Match 'secret|tok3n'
        $t | ConvertTo-Json | Should -Not -Match 'secret|tok3n'
    }

    It 'refuses <Case> without echoing it' -TestCases @(
        @{ Case = 'a relative URI'; Uri = 'ntfy.sh/secret-topic' }
        @{ Case = 'another scheme'; Uri = 'ftp://example.com/secret-topic' }
        @{ Case = 'a user and password'; Uri = 'https://user:secret-pass@hooks.example.com/x' }
        @{ Case = 'a line break'; Uri = "https://hooks.example.com/secret-topic`nX-Evil: 1" }
    ) {
        $e = Get-ErrorRecord { [HomeTunnel.Scheduling.NotifyTarget]::Parse($Uri, 'Auto') }
        $e.Exception.InnerException.ErrorId | Should -Be 'NotifyUriInvalid'
        "$e $($e.Exception.InnerException.Target)" | Should -Not -Match 'secret'
    }
}

Describe 'When a target hears' {
    It 'stays silent on a healthy first run, and tells a failing one' {
        [HomeTunnel.Scheduling.CheckState]::Decide((New-Name 'Pass'), 't', $now, [timespan]::FromHours(24)) | Should -Be 'None'
        [HomeTunnel.Scheduling.CheckState]::Decide((New-Name 'Fail'), 't', $now, [timespan]::FromHours(24)) | Should -Be 'Down'
        [HomeTunnel.Scheduling.CheckState]::Decide((New-Name 'Warn'), 't', $now, [timespan]::FromHours(24)) | Should -Be 'Warn'
        [HomeTunnel.Scheduling.CheckState]::Decide((New-Name 'Error'), 't', $now, [timespan]::FromHours(24)) | Should -Be 'Down'
    }

    It 'tells a change once, a recovery once, and reminds only after the interval' {
        $state = [HomeTunnel.Scheduling.CheckState]::new()
        $reminder = [timespan]::FromHours(2)
        $events = foreach ($step in @(
                @{ Status = 'Pass'; At = 0 }, @{ Status = 'Fail'; At = 5 }, @{ Status = 'Fail'; At = 10 }, @{ Status = 'Error'; At = 60 },
                @{ Status = 'Fail'; At = 125 }, @{ Status = 'Fail'; At = 130 }, @{ Status = 'Pass'; At = 135 }, @{ Status = 'Pass'; At = 140 })) {
            $t = $now.AddMinutes($step.At)
            $name = $state.Observe('a.example.com', $step.Status, $t)
            $e = [HomeTunnel.Scheduling.CheckState]::Decide($name, 't', $t, $reminder)
            if ($e -ne 'None') { [HomeTunnel.Scheduling.CheckState]::Told($name, 't', $t) }
            "$e"
        }
        $events | Should -Be @('None', 'Down', 'None', 'None', 'Reminder', 'None', 'Recovered', 'None')
    }

    It 'tells a target that was not reached again on the next run' {
        $name = New-Name 'Fail'
        [HomeTunnel.Scheduling.CheckState]::Decide($name, 't', $now, [timespan]::Zero) | Should -Be 'Down'
        # Not marked as told (the delivery failed): still Down on the next run; no reminders at 0 hours.
        [HomeTunnel.Scheduling.CheckState]::Decide($name, 't', $now.AddMinutes(5), [timespan]::Zero) | Should -Be 'Down'
        [HomeTunnel.Scheduling.CheckState]::Told($name, 't', $now.AddMinutes(5))
        [HomeTunnel.Scheduling.CheckState]::Decide($name, 't', $now.AddDays(9), [timespan]::Zero) | Should -Be 'None'
    }

    It 'keeps its state in a 0600 file that names no token' {
        $state = [HomeTunnel.Scheduling.CheckState]::new()
        $t = [HomeTunnel.Scheduling.NotifyTarget]::Parse('https://ntfy.sh/my-secret-topic', 'Auto')
        $name = $state.Observe('a.example.com', 'Fail', $now)
        [HomeTunnel.Scheduling.CheckState]::Told($name, [HomeTunnel.Scheduling.CheckState]::TargetId($t), $now)
        $path = Join-Path $TestDrive 'x.state.json'
        $state.Save($path)
        (stat -c '%a' $path) | Should -Be '600'
        Get-Content -Raw $path | Should -Not -Match 'secret'
        [HomeTunnel.Scheduling.CheckState]::Load($path).Names['a.example.com'].Status | Should -Be 'Fail'
        Set-Content $path '{ not json'
        [HomeTunnel.Scheduling.CheckState]::Load($path).Names.Count | Should -Be 0 -Because 'a damaged state only means one more notice'
    }
}

Describe 'What each kind of target is sent' {
    It 'a webhook: the verdict as JSON' {
        $r = [HomeTunnel.Scheduling.CheckNotifier]::Build([HomeTunnel.Scheduling.NotifyTarget]::Parse('https://hooks.example.com/x', 'Auto'), $notice)
        $r.Method | Should -Be 'POST'
        $r.Content.Headers.ContentType.MediaType | Should -Be 'application/json'
        $j = Get-Body $r | ConvertFrom-Json
        $j.event | Should -Be 'Down'
        $j.serverName | Should -Be 'a.example.com'
        $j.status | Should -Be 'Fail'
        $j.failedHop | Should -Be 'HomeService'
        $j.remedy | Should -Be 'Start the service.'
        Get-Body $r | Should -Match '"time":"2026-12-01T10:00:00\.0000000\+00:00"'
    }

    It 'an ntfy topic: a title, a message and a priority' {
        $r = [HomeTunnel.Scheduling.CheckNotifier]::Build([HomeTunnel.Scheduling.NotifyTarget]::Parse('https://ntfy.sh/topic', 'Auto'), $notice)
        $r.Headers.GetValues('Title') | Should -Be 'a.example.com is down'
        $r.Headers.GetValues('Priority') | Should -Be 'urgent'
        Get-Body $r | Should -Match '^a\.example\.com: Fail at HomeService\. the relay cannot reach'
    }

    It 'a healthchecks URL: /fail when down, the URL itself otherwise' {
        $t = [HomeTunnel.Scheduling.NotifyTarget]::Parse('https://hc-ping.com/5a8f2c1e-aaaa-bbbb-cccc-1234567890ab', 'Auto')
        ([HomeTunnel.Scheduling.CheckNotifier]::Build($t, $notice)).RequestUri.AbsoluteUri | Should -Be 'https://hc-ping.com/5a8f2c1e-aaaa-bbbb-cccc-1234567890ab/fail'
        $ok = [HomeTunnel.Scheduling.CheckNotice]::new('home', 'a.example.com', 'None', 'Pass', 'Pass', '', '', '', $now)
        ([HomeTunnel.Scheduling.CheckNotifier]::Build($t, $ok)).RequestUri.AbsoluteUri | Should -Be 'https://hc-ping.com/5a8f2c1e-aaaa-bbbb-cccc-1234567890ab'
    }
}

Describe 'A receiver''s answer is data' {
    BeforeAll {
        # A receiver on this machine's loopback that answers one request with the raw bytes given.
        function Send-ToReceiver([string] $Answer, [string] $Path) {
            $listener = [System.Net.Sockets.TcpListener]::new([ipaddress]::Loopback, 0)
            $listener.Start()
            try {
                $target = [HomeTunnel.Scheduling.NotifyTarget]::Parse("http://127.0.0.1:$($listener.LocalEndpoint.Port)$Path", 'Webhook')
                $http = [System.Net.Http.HttpClient]::new()
                $task = [HomeTunnel.Scheduling.CheckNotifier]::SendAsync($http, $target, $notice, [TimeSpan]::FromSeconds(20), 1, [Threading.CancellationToken]::None)
                $accept = $listener.AcceptTcpClientAsync()
                $accept.Wait(20000) | Should -BeTrue -Because 'the notifier connects'
                $client = $accept.Result
                $stream = $client.GetStream()
                $reader = [System.IO.StreamReader]::new($stream)
                while ($reader.ReadLine()) { }
                $bytes = [Text.Encoding]::UTF8.GetBytes($Answer)
                $stream.Write($bytes, 0, $bytes.Length)
                $stream.Flush()
                $client.Close()
                $task.Wait(20000) | Should -BeTrue
                $task.Result
            }
            finally { $listener.Stop() }
        }
    }

    It 'keeps neither the reason phrase nor the body when they carry the token back (<Case>)' -TestCases @(
        @{ Case = 'a 500 whose reason is the token'; Answer = "HTTP/1.1 500 tok-reason-9f1e hook/tok-reason-9f1e`r`nContent-Length: 20`r`nConnection: close`r`n`r`ntok-reason-9f1e body"; Error = 'HTTP 500' }
        @{ Case = 'a 404 with controls in its reason'; Answer = "HTTP/1.1 404 x`e[2Jtok-reason-9f1e`r`nContent-Length: 0`r`nConnection: close`r`n`r`n"; Error = 'HTTP 404' }
        @{ Case = 'an answer that is no HTTP'; Answer = "tok-reason-9f1e`e[31m not http at all`r`n`r`n"; Error = '*' }
    ) {
        $d = Send-ToReceiver $Answer '/hook/tok-reason-9f1e'
        $d.Delivered | Should -BeFalse
        $d.Error | Should -BeLike $Error
        foreach ($shown in "$($d.Error)", ($d | ConvertTo-Json), ($d | Format-List * | Out-String)) {
            $shown | Should -Not -Match 'tok-reason-9f1e' -Because 'the token the receiver sent back is the user''s secret'
            $shown.ToCharArray() | Where-Object { [HomeTunnel.HostText]::IsControl($_) -and $_ -notin "`n", "`r" } | Should -BeNullOrEmpty
        }
    }
}

Describe 'The metrics file' {
    BeforeAll {
        $line = '{"Type":"Result","Time":"2026-12-01T10:00:00+00:00","Check":"home","ServerName":"a.example.com","Status":"Fail","FailedHop":"HomeService","Remedy":"x","ExitCode":1,"DurationMs":212.4,"HandshakeAgeSeconds":12.5,"CertificateDaysLeft":61.25,"Hops":[{"Hop":"Dns","Status":"Pass","DurationMs":11.2,"Detail":"ok","Remedy":""},{"Hop":"HomeService","Status":"Fail","DurationMs":2001,"Detail":"refused","Remedy":"x"}]}'
        $record = [HomeTunnel.Scheduling.CheckRecord]::Parse($line)
        $odd = [HomeTunnel.Scheduling.CheckRecord]::Parse(($line -replace 'a\.example\.com', 'b.example.com' -replace '"Status":"Fail","FailedHop"', '"Status":"Pass","FailedHop"'))
        $text = [HomeTunnel.Scheduling.CheckMetrics]::Render('ho"me\', [HomeTunnel.Scheduling.CheckRecord[]]@($record, $odd), $now)
    }

    It 'is the Prometheus text format, strictly: HELP and TYPE once per family, then samples with escaped labels' {
        $text | Should -Match '\n\z'
        $families = @{}
        foreach ($l in $text.TrimEnd("`n") -split "`n") {
            if ($l -match '^# HELP (\w+) .+$') { $families[$Matches[1]] | Should -BeNullOrEmpty; $families[$Matches[1]] = 'help'; continue }
            if ($l -match '^# TYPE (\w+) gauge$') { $families[$Matches[1]] | Should -Be 'help'; $families[$Matches[1]] = 'type'; continue }
            # name{label="value",...} number — label values with \\ \" \n escaped only.
            $l -match '^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)\{(?<labels>[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*"(?:,[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*")*)\} -?[0-9]+(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?$' | Should -BeTrue -Because "'$l' is a sample line"
            $families[$Matches['name']] | Should -Be 'type' -Because "$($Matches['name']) is declared before its samples"
        }
        $families.Keys | Should -Contain 'hometunnel_path_status'
        $families.Keys | Should -Contain 'hometunnel_certificate_days_left'
    }

    It 'says what happened: the status per name and hop, the handshake age, the days left, the run time' {
        $text | Should -Match '(?m)^hometunnel_path_status\{check="ho\\"me\\\\",server_name="a\.example\.com"\} 2$'
        $text | Should -Match '(?m)^hometunnel_path_status\{check="ho\\"me\\\\",server_name="b\.example\.com"\} 0$'
        $text | Should -Match '(?m)^hometunnel_hop_status\{check="ho\\"me\\\\",server_name="a\.example\.com",hop="HomeService"\} 2$'
        $text | Should -Match '(?m)^hometunnel_hop_duration_seconds\{check="ho\\"me\\\\",server_name="a\.example\.com",hop="HomeService"\} 2\.001$'
        $text | Should -Match '(?m)^hometunnel_handshake_age_seconds\{check="ho\\"me\\\\",server_name="a\.example\.com"\} 12\.5$'
        $text | Should -Match '(?m)^hometunnel_certificate_days_left\{check="ho\\"me\\\\",server_name="a\.example\.com"\} 61\.25$'
        $text | Should -Match "(?m)^hometunnel_check_last_run_timestamp_seconds\{check=`"ho\\`"me\\\\`"\} $($now.ToUnixTimeSeconds())$"
    }

    It 'is replaced whole, never left half-written, and only as a .prom file outside the system''s folders' {
        $path = Join-Path $TestDrive 'hometunnel.prom'
        [HomeTunnel.Scheduling.CheckMetrics]::Write($path, $text)
        Get-Content -Raw $path | Should -BeExactly $text
        [HomeTunnel.Scheduling.CheckMetrics]::Write($path, "x 1`n")
        Get-Content -Raw $path | Should -BeExactly "x 1`n"
        @(Get-ChildItem -Force $TestDrive -Filter '.hometunnel.prom.*') | Should -HaveCount 0
        foreach ($bad in '/etc/cron.d/x.prom', '/tmp/x.txt', "/tmp/a`nb.prom") {
            (Get-ErrorRecord { [HomeTunnel.Scheduling.CheckMetrics]::CheckPath($bad) }).Exception.InnerException.ErrorId | Should -Be 'InvalidMetricsPath'
        }
    }
}

Describe 'The log' {
    It 'writes one result line per name that reads back, and skips other lines' {
        $r = [HomeTunnel.Scheduling.CheckRecord]::Failed('home', 'a.example.com', 'no key', $now)
        $line = $r.ToJsonLine()
        $line | Should -Match '^\{"Type":"Result",'
        ([HomeTunnel.Scheduling.CheckRecord]::Parse($line)).Status | Should -Be 'Error'
        [HomeTunnel.Scheduling.CheckRecord]::Parse('{"Type":"Notify","ServerName":"a"}') | Should -BeNullOrEmpty
        [HomeTunnel.Scheduling.CheckRecord]::Parse('not json') | Should -BeNullOrEmpty
        # A line an older version wrote (no Type) is still a result.
        ([HomeTunnel.Scheduling.CheckRecord]::Parse('{"Time":"2026-11-25T13:01:58.92+00:00","ServerName":"a.example.com","Status":"Fail","FailedHop":"Tunnel","ExitCode":1,"DurationMs":212.4,"Hops":[]}')).FailedHop | Should -Be 'Tunnel'
    }
}
