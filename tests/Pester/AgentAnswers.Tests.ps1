# The module's side of the host contract, without root: answers recorded from the lab's real hosts
# (tools/Record-AgentAnswers.ps1, keys replaced by {{KEY:n}}) read into typed answers, planned from
# (WireGuardPlanner, ApachePlanner), shown as diffs and turned into ErrorRecords. Each fixture gets fresh
# keys, so the tests also prove that none of them leaks.
BeforeDiscovery {
    . $PSScriptRoot/Common.ps1   # the error ids below are read from the module's agent while the tests are found
}

BeforeAll {
    . $PSScriptRoot/Common.ps1
    $script:Fixtures = Join-Path $PSScriptRoot 'fixtures/agent'
    function Read-Answer([string] $Name) {
        $r = Read-AgentFixture $Name
        # The facts as the kind's record, read by its contract (as HostApply does before it plans).
        $kind = switch -Wildcard ($Name) { 'wireguard-*' { 'WireGuardFacts' } 'apache-*' { 'ApacheFacts' } default { 'NftTableFacts' } }
        if ($r.Answer.FactsJson) { $r.Facts = [HomeTunnel.Hosts.Contract.AgentContract]::$kind.Invoke($r.Answer.FactsJson) }
        $r
    }
    function New-View([string] $Kind, [hashtable] $Wanted = @{}) {
        $w = [System.Collections.Generic.Dictionary[string, string]]::new()
        foreach ($k in $Wanted.Keys) { $w[$k] = $Wanted[$k] }
        [HomeTunnel.Hosts.HostView]::new($Kind, 'x', $w, [string[]]@())
    }
    $script:HomePeer = New-TunnelPeer -Name home -Role Home -Address 192.168.4.2/32
}

Describe 'Recorded answers, read once' {
    It 'reads <Name> as <State>' -ForEach @(
        @{ Name = 'wireguard-facts'; State = 'Facts' }
        @{ Name = 'apache-facts-new'; State = 'Facts' }
        @{ Name = 'wireguard-apply-changed'; State = 'Changed' }
        @{ Name = 'wireguard-apply-stale'; State = 'Stale' }
        @{ Name = 'apache-apply-configtestfailed'; State = 'Failed' }
        @{ Name = 'unsupported-version'; State = 'Failed' }
        @{ Name = 'status'; State = 'Read' }
    ) {
        (Read-Answer $Name).Answer.State | Should -Be $State
    }

    It 'carries facts and their fingerprint, in a Facts and a Stale answer' -ForEach @(@{ Name = 'wireguard-facts' }, @{ Name = 'wireguard-apply-stale' }) {
        $a = (Read-Answer $Name).Answer
        (Read-Answer $Name).Facts | Should -Not -BeNullOrEmpty
        $a.Fingerprint | Should -Match '^[0-9A-F]{64}$'
    }

    It 'refuses an answer in a state it does not know' {
        $e = { [HomeTunnel.Hosts.AgentAnswer]::Parse('{"Version":3,"State":"Frobnicated","Actions":[]}', 'relay') } | Should -Throw -PassThru
        $e.Exception.GetBaseException().ErrorId | Should -Be 'AgentAnswerInvalid'
        $e.Exception.GetBaseException().Message | Should -Match 'Frobnicated'
    }

    It 'names the live peers from the config file with the module''s parser, and keeps nothing else of it' {
        $status = [HomeTunnel.Hosts.Contract.AgentContract]::Status((Read-Answer 'status').Answer.Body).Status
        $peers = [HomeTunnel.Probes.TunnelPeerStatus]::FromAgent($status, 'relay', 'wg0', 2000000000)
        # Recorded after the apply that added home3 (tools/Record-AgentAnswers.ps1).
        @($peers.Name | Sort-Object) | Should -Be @('home', 'home3')
        ($peers | ConvertTo-Json -Depth 4 -WarningAction Ignore) | Should -Not -Match 'PrivateKey'
    }

    It 'says when the relay''s name resolves elsewhere than the live endpoint (<Case>)' -TestCases @(
        @{ Case = 'it moved'; Live = '203.0.113.1:51820'; Resolved = @('203.0.113.5'); Moved = $true }
        @{ Case = 'one of its addresses'; Live = '203.0.113.5:51820'; Resolved = @('203.0.113.1', '203.0.113.5'); Moved = $false }
        @{ Case = 'an IPv6 endpoint'; Live = '[2001:db8::5]:51820'; Resolved = @('2001:db8::5'); Moved = $false }
        @{ Case = 'the name does not resolve now'; Live = '203.0.113.1:51820'; Resolved = @(); Moved = $false }
        @{ Case = 'the resolver answered something that is no address'; Live = '203.0.113.1:51820'; Resolved = @("x`e[2J"); Moved = $false }
    ) {
        $relayPeer = New-TunnelPeer -Name relay -Role Relay -Address 192.168.4.1/24 -ListenPort 51820 -Endpoint relay.example.test
        $homePeer = New-TunnelPeer -Name home -Role Home -Address 192.168.4.2/32
        $config = (New-WireGuardConfig -For $homePeer -Peer $relayPeer).RevealText()
        $status = @{
            PublicKey = $homePeer.PublicKey; ListenPort = '0'; Config = $config; UpSeconds = $null; Resolved = @{ 'relay.example.test' = $Resolved }
            Peers = @(@{ PublicKey = $relayPeer.PublicKey; Endpoint = $Live; AllowedIPs = '192.168.4.1/32'; LatestHandshake = '1999999990'; RxBytes = '1'; TxBytes = '1'; Keepalive = '25' })
        }
        $peer = [HomeTunnel.Probes.TunnelPeerStatus]::FromAgent((ConvertTo-AgentFacts WireGuardStatus $status), 'home', 'wg0', 2000000000)[0]
        $peer.ConfiguredEndpoint | Should -Be 'relay.example.test:51820'
        $moved = $peer.MovedEndpoint()
        if ($Moved) {
            $moved.Item1 | Should -Be 'relay.example.test'
            $moved.Item2 | Should -Be $Resolved
            $moved.Item3 | Should -Be '203.0.113.1'
        }
        else { $moved | Should -BeNullOrEmpty }
    }
}

Describe 'WireGuard planned from the host''s facts' {
    BeforeAll {
        $script:Recorded = Read-Answer 'wireguard-facts'
        $script:Facts = $Recorded.Facts
        # The file on the host was written by HomeTunnel from a config: reading it back gives that config.
        $script:Config = ConvertFrom-WireGuardConfig $Facts.Current
    }

    It 'is unchanged when the file and the live peers are the config' {
        $plan = [HomeTunnel.Hosts.WireGuardPlanner]::Plan($Facts, $Config, 'wg0', $false, $false)
        $plan.ErrorId | Should -BeNullOrEmpty
        $plan.Changed | Should -BeFalse
    }

    It 'changes the file and the live peers for a config with one more peer' {
        $relayPeer = New-TunnelPeer -Name relay -Role Relay -Address 192.168.4.1/24 -ListenPort 51820 -Endpoint vps.example.test -PrivateKey $Config.PrivateKey
        $peers = @(foreach ($p in $Config.Peers) { New-TunnelPeer -Name $p.Name -Role Home -Address ($p.AllowedIPs -split ', ')[0] -PublicKey $p.PublicKey })
        $bigger = New-WireGuardConfig -For $relayPeer -Peer ($peers + (New-TunnelPeer -Name home3 -Role Home -Address 192.168.4.4/32))
        $plan = [HomeTunnel.Hosts.WireGuardPlanner]::Plan($Facts, $bigger, 'wg0', $false, $false)
        $plan.Changed | Should -BeTrue
        $plan.Plan.FileChanged | Should -BeTrue
        $plan.Plan.LiveChanged | Should -BeTrue
        $plan.Plan.Up | Should -BeTrue
        $diff = [HomeTunnel.Hosts.HostDiff]::Build($plan.Files, (New-Object 'System.Collections.Generic.Dictionary[string,string]'), [string[]]@())
        foreach ($k in $Recorded.Keys) { if ($diff.Contains($k)) { $diff | Should -Match ([regex]::Escape("PublicKey = $k")) } }
        $diff | Should -Not -Match ([regex]::Escape($Config.PrivateKey.RevealBase64()))
    }

    It 'removes the file and brings the interface down on an uninstall' {
        $plan = [HomeTunnel.Hosts.WireGuardPlanner]::Plan($Facts, $null, 'wg0', $true, $false)
        $plan.Changed | Should -BeTrue
        $plan.Plan.FileChanged | Should -BeTrue
        $plan.Plan.Up | Should -BeTrue
    }

    It 'refuses a hand-written file, and with -Force shows it redacted as what is lost' {
        $r = Read-Answer 'wireguard-facts-handwritten'
        $plan = [HomeTunnel.Hosts.WireGuardPlanner]::Plan($r.Facts, $Config, 'wg1', $false, $false)
        $plan.ErrorId | Should -Be 'NotOwnedByHomeTunnel'
        $forced = [HomeTunnel.Hosts.WireGuardPlanner]::Plan($r.Facts, $Config, 'wg1', $false, $true)
        $forced.Changed | Should -BeTrue
        $view = New-View 'WireGuard' @{ '/etc/wireguard/wg1.conf' = $Config.RevealText() }
        $diff = [HomeTunnel.Hosts.HostDiff]::Build($forced.Files, $view.Wanted, [string[]]@())
        $diff | Should -Match '-privatekey=\(redacted\)'
        foreach ($k in $r.Keys) { $diff | Should -Not -Match ([regex]::Escape($k)) }
        $diff | Should -Not -Match ([regex]::Escape($Config.PrivateKey.RevealBase64()))
    }

    It 'refuses an interface that is up without HomeTunnel''s file' {
        $facts = Read-AgentFacts 'wireguard-facts' WireGuardFacts { param($f) $f.Current = $null }
        $facts.Up | Should -BeTrue
        ([HomeTunnel.Hosts.WireGuardPlanner]::Plan($facts, $Config, 'wg0', $false, $false)).ErrorId | Should -Be 'NotOwnedByHomeTunnel'
    }

    It 'plans again from the facts a Stale answer brings' {
        $r = Read-Answer 'wireguard-apply-stale'
        $plan = [HomeTunnel.Hosts.WireGuardPlanner]::Plan($r.Facts, $Config, 'wg0', $false, $false)
        $plan.ErrorId | Should -BeNullOrEmpty
        $plan.Changed | Should -BeTrue -Because 'the host has a third peer the config does not'
    }
}

Describe 'Apache planned from the relay''s facts' {
    It 'installs a new site: file, a2ensite, nothing refused' {
        $site = $HomePeer | New-ApacheProxySite -ServerName other.example.test -Port 8080
        $plan = [HomeTunnel.Hosts.ApachePlanner]::Plan((Read-Answer 'apache-facts-new').Facts, [HomeTunnel.Apache.ApacheProxySite[]] @($site), $false, $false)
        $plan.ErrorId | Should -BeNullOrEmpty
        $plan.Changed | Should -BeTrue
        $plan.Plan.Sites[0].Enabled | Should -BeFalse
        $plan.Plan.Sites[0].MissingModules | Should -BeNullOrEmpty -Because 'the lab relay has proxy and proxy_http'
    }

    It 'refuses Debian''s default site: its name is no site''s (ServerNameReserved), so no plan can take the file over' {
        (Get-ErrorRecord { $HomePeer | New-ApacheProxySite -ServerName 000-default -Port 1 }).FullyQualifiedErrorId | Should -BeLike 'ServerNameReserved,*'
        # The relay's own default site is still there in its facts, not HomeTunnel's.
        $facts = (Read-Answer 'apache-facts-default').Facts
        $facts | Should -Not -BeNullOrEmpty
    }

    It 'refuses a name another enabled site serves' {
        $site = $HomePeer | New-ApacheProxySite -ServerName taken.example.test -Port 1
        $plan = [HomeTunnel.Hosts.ApachePlanner]::Plan((Read-Answer 'apache-facts-taken').Facts, [HomeTunnel.Apache.ApacheProxySite[]] @($site), $false, $false)
        $plan.ErrorId | Should -Be 'ServerNameTaken'
        $plan.Message | Should -Match 'hand.conf'
    }

    It 'is not unchanged on a relay whose Apache is stopped' {
        $r = Read-Answer 'apache-facts-stopped'
        $facts = $r.Facts
        $current = $facts.Sites[0].Current
        $site = @(ConvertFrom-ApacheProxySite $current)[0]
        $site.Text | Should -BeExactly $current
        $plan = [HomeTunnel.Hosts.ApachePlanner]::Plan($facts, [HomeTunnel.Apache.ApacheProxySite[]] @($site), $false, $false)
        $plan.Changed | Should -BeTrue
        $plan.Plan.Running | Should -BeFalse
        $plan.Files | Should -HaveCount 0 -Because 'no file changes: Apache is only started'
    }
}

Describe 'Errors from recorded answers' {
    It 'maps <Name> to <Id> (<Category>) with a remedy' -ForEach @(
        @{ Name = 'apache-apply-configtestfailed'; Id = 'ConfigTestFailed'; Category = 'InvalidData' }
        @{ Name = 'unsupported-version'; Id = 'UnsupportedAgentVersion'; Category = 'InvalidOperation' }
    ) {
        $view = New-View 'Apache' @{ '/etc/apache2/sites-available/leak.example.test.conf' = 'x' }
        $record = [HomeTunnel.Hosts.HostErrors]::FromAnswer('relay.example.test', (Read-Answer $Name).Answer, $view)
        # Made outside a cmdlet, the id is the whole FullyQualifiedErrorId (a cmdlet adds its name after a comma).
        $record.FullyQualifiedErrorId | Should -Be $Id
        $record.CategoryInfo.Category | Should -Be $Category
        $record.TargetObject | Should -Be 'relay.example.test'
        $record.ErrorDetails.RecommendedAction | Should -Not -BeNullOrEmpty
    }

    It 'leaves the line of the file Apache quoted out of the error' {
        $view = New-View 'Apache' @{ '/etc/apache2/sites-available/leak.example.test.conf' = 'x' }
        $record = [HomeTunnel.Hosts.HostErrors]::FromAnswer('relay', (Read-Answer 'apache-apply-configtestfailed').Answer, $view)
        "$record $($record.ErrorDetails) $($record.Exception.Message)" | Should -Not -Match 'SECRETHASH'
        "$($record.ErrorDetails)" | Should -Match 'not shown'
    }

    It 'is no error for <Name>' -ForEach @(@{ Name = 'status' }, @{ Name = 'relay-probe' }, @{ Name = 'managed-sites' }, @{ Name = 'wireguard-facts' }, @{ Name = 'wireguard-apply-stale' }, @{ Name = 'wireguard-apply-changed' }) {
        [HomeTunnel.Hosts.HostErrors]::FromAnswer('relay', (Read-Answer $Name).Answer, (New-View 'Apache')) | Should -BeNullOrEmpty
    }
}

Describe 'Every error id a host can send' {
    It 'is known to the module with its own category: <Id>' -ForEach @(
        @([regex]::Matches([HomeTunnel.Hosts.AgentRequest]::AgentText, "New-AgentError '([A-Za-z]+)'") | ForEach-Object { $_.Groups[1].Value } | Sort-Object -Unique) +
        @('NotOwnedByHomeTunnel', 'ServerNameTaken') | ForEach-Object { @{ Id = $_ } }
    ) {
        [HomeTunnel.Hosts.HostErrors]::KnownIds.ContainsKey($Id) | Should -BeTrue
        $record = [HomeTunnel.Hosts.HostErrors]::FromAnswer('relay', [HomeTunnel.Hosts.AgentAnswer]::Failure($Id, 'm'), (New-View 'Apache'))
        $record.FullyQualifiedErrorId | Should -Be $Id
        $record.CategoryInfo.Category | Should -Be ([string][HomeTunnel.Hosts.HostErrors]::KnownIds[$Id])
    }

    It 'classifies ssh''s words once into a typed id with its remedy: <Id>' -ForEach @(
        @{ Id = 'HostKeyChanged'; Text = "@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@`n@    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @`nHost key verification failed." }
        @{ Id = 'HostKeyUnknown'; Text = 'No ED25519 host key is known for vps.example.test and you have requested strict checking. Host key verification failed.' }
        @{ Id = 'SshAuthenticationFailed'; Text = 'root@vps.example.test: Permission denied (publickey).' }
        @{ Id = 'SshNoPowerShellSubsystem'; Text = 'subsystem request failed on channel 0' }
        @{ Id = 'SshConnectFailed'; Text = 'ssh: connect to host vps.example.test port 22: Connection refused' }
    ) {
        [HomeTunnel.Hosts.SshTarget]::ClassifySshFailure($Text) | Should -Be $Id
        [HomeTunnel.Remedies]::For($Id, 'vps.example.test', 22, '/root/.ssh/known_hosts') | Should -Match 'vps.example.test'
    }

    It 'says a changed host key may be a man in the middle, and never to accept it blindly' {
        [HomeTunnel.Remedies]::For('HostKeyChanged', 'vps.example.test', 22, $null) | Should -Match 'in the middle'
    }
}


Describe 'The agent''s run-folder waits' {
    BeforeAll {
        # The two functions, taken from the agent's own text (the agent runs on hosts; here only these two).
        $ast = [System.Management.Automation.Language.Parser]::ParseInput([HomeTunnel.Hosts.AgentRequest]::AgentText, [ref]$null, [ref]$null)
        foreach ($name in 'New-RunWatcher', 'Wait-RunFile') {
            $f = $ast.Find({ param($n) $n -is [System.Management.Automation.Language.FunctionDefinitionAst] -and $n.Name -eq $name }, $true)
            . ([scriptblock]::Create($f.Extent.Text))
        }
    }

    It 'waits on file events where the host gives an inotify instance' {
        $script:RunDir = $TestDrive
        $w = New-RunWatcher 'request-*.json'
        try { $w | Should -BeOfType [System.IO.FileSystemWatcher] } finally { if ($w) { $w.Dispose() } }
    }

    It 'falls back to short sleeps where it cannot watch (no inotify instance left, or no folder)' {
        $script:RunDir = Join-Path $TestDrive 'not-there'
        $w = New-RunWatcher 'request-*.json'
        $w | Should -BeNullOrEmpty
        { Wait-RunFile $w 10 } | Should -Not -Throw
    }
}

Describe 'The agent holds requests to their shapes (generated from the module''s records)' {
    BeforeAll {
        # The agent run here, in this process, with a request broken one way: it refuses before it touches anything.
        function Invoke-LocalAgent([string] $Json) {
            $ps = [powershell]::Create()
            try { $out = $ps.AddScript([HomeTunnel.Hosts.AgentRequest]::AgentText, $true).AddParameter('Request', $Json).Invoke() }
            finally { $ps.Dispose() }
            [HomeTunnel.Hosts.AgentAnswer]::Parse(@($out | Where-Object { $_ -is [string] })[-1], 'here')
        }
        function Edit-Request($Request, [scriptblock] $Edit) {
            $h = $Request.ToJson() | ConvertFrom-Json -AsHashtable
            & $Edit $h
            $h | ConvertTo-Json -Depth 10 -Compress
        }
        $script:Status = [HomeTunnel.Hosts.AgentRequest]::Status('wg0')
        $script:Site = $HomePeer | New-ApacheProxySite -ServerName shape.example.test -Port 3000
        $script:Apache = [HomeTunnel.Hosts.AgentRequest]::Apache(@($Site), $false)
    }

    It 'refuses <Case>, naming it' -ForEach @(
        @{ Case = 'an unknown member'; Kind = 'Status'; Edit = { param($h) $h.Extra = 1 }; Names = 'Extra' }
        @{ Case = 'a missing member'; Kind = 'Status'; Edit = { param($h) $h.Remove('InterfaceName') }; Names = 'InterfaceName' }
        @{ Case = 'a list of secrets (format 2 sent one)'; Kind = 'Status'; Edit = { param($h) $h.Secrets = @('k') }; Names = 'Secrets' }
        @{ Case = 'an unknown member of a site'; Kind = 'Apache'; Edit = { param($h) $h.Sites[0].Include = '/etc/shadow' }; Names = 'Include' }
        @{ Case = 'a site without its file name'; Kind = 'Apache'; Edit = { param($h) $h.Sites[0].Remove('FileName') }; Names = 'FileName' }
    ) {
        $request = if ($Kind -eq 'Status') { $Status } else { $Apache }
        $a = Invoke-LocalAgent (Edit-Request $request $Edit)
        $a.State | Should -Be 'Failed'
        $a.ErrorId | Should -Be 'RequestInvalid'
        $a.Message | Should -Match $Names
    }

    It 'refuses a kind it does not know' {
        (Invoke-LocalAgent (Edit-Request $Status { param($h) $h.Kind = 'Frobnicate' })).ErrorId | Should -Be 'UnknownRequestKind'
    }

    It 'takes the records'' own requests as they are (the shapes are theirs)' {
        foreach ($kind in [HomeTunnel.Hosts.Contract.RequestShapes]::Kinds) {
            $members = [HomeTunnel.Hosts.Contract.RequestShapes]::Members($kind.Item2)
            $members | Should -Contain 'Kind'
            $members | Should -Not -Contain 'Secrets'
        }
        $json = $Apache.ToJson() | ConvertFrom-Json -AsHashtable
        @($json.Keys | Sort-Object) | Should -Be @([HomeTunnel.Hosts.Contract.RequestShapes]::Members([HomeTunnel.Hosts.Contract.ApacheRequest]) | Sort-Object)
    }
}
