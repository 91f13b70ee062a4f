# The module's side of the host contract, without root: answers recorded from the lab's real hosts
# (tools/Record-AgentAnswers.ps1, keys replaced by {{KEY:n}}) read into typed answers, diffs, redaction
# and ErrorRecords. Each fixture gets fresh keys, so the test also proves none of them leaks.
BeforeAll {
    . $PSScriptRoot/Common.ps1
    $script:Fixtures = Join-Path $PSScriptRoot 'fixtures/agent'
    function Read-Answer([string] $Name) {
        $text = Get-Content -Raw (Join-Path $Fixtures "$Name.json")
        $keys = @{}
        $text = [regex]::Replace($text, '\{\{KEY:(\d+)\}\}', {
                param($m)
                if (-not $keys.ContainsKey($m.Groups[1].Value)) { $keys[$m.Groups[1].Value] = (New-TunnelKeyPair).PrivateKey.RevealBase64() }
                $keys[$m.Groups[1].Value]
            })
        @{ Answer = [HomeTunnel.Hosts.AgentAnswer]::From(($text | ConvertFrom-Json -AsHashtable)); Keys = @($keys.Values) }
    }
    function New-View([string] $Kind, [hashtable] $Wanted = @{}) {
        $w = [System.Collections.Generic.Dictionary[string, string]]::new()
        foreach ($k in $Wanted.Keys) { $w[$k] = $Wanted[$k] }
        [HomeTunnel.Hosts.HostView]::new($Kind, 'x', $w, [string[]]@())
    }
}

Describe 'Recorded agent answers' {
    It 'reads <Name> as <State>' -ForEach @(
        @{ Name = 'wireguard-unchanged'; State = 'Unchanged' }
        @{ Name = 'wireguard-wouldchange'; State = 'WouldChange' }
        @{ Name = 'apache-wouldchange'; State = 'WouldChange' }
        @{ Name = 'wireguard-notowned'; State = 'Failed' }
        @{ Name = 'apache-configtestfailed'; State = 'Failed' }
        @{ Name = 'unsupported-version'; State = 'Failed' }
    ) {
        (Read-Answer $Name).Answer.ChangeState | Should -Be $State
    }

    It 'takes a lone file fact as a list of one, not as the entries of a hashtable' {
        $a = (Read-Answer 'wireguard-wouldchange').Answer
        $a.Files | Should -HaveCount 1
        $a.Files[0].Path | Should -Be '/etc/wireguard/wg0.conf'
    }

    It 'makes a diff from the host''s raw file that shows no key but public ones' {
        $r = Read-Answer 'wireguard-force-wouldchange'
        $view = New-View 'WireGuard' @{ '/etc/wireguard/wg1.conf' = "# Managed by HomeTunnel`n[Interface]`nPrivateKey = $($r.Keys[0])`n" }
        $diff = $view.Diff($r.Answer)
        $diff | Should -Match '^--- /etc/wireguard/wg1.conf'
        $diff | Should -Match '-privatekey=\(redacted\)'
        foreach ($k in $r.Keys) { $diff | Should -Not -Match ([regex]::Escape($k)) }
    }

    It 'keeps the public key of a peer in a diff, and no private one' {
        $r = Read-Answer 'wireguard-wouldchange'
        $diff = (New-View 'WireGuard' @{ '/etc/wireguard/wg0.conf' = '' }).Diff($r.Answer)
        $diff | Should -Match ([regex]::Escape("PublicKey = $($r.Keys[1])"))
        $diff | Should -Not -Match ([regex]::Escape($r.Keys[0]))
    }

    It 'maps <Name> to <Id> (<Category>) with a remedy' -ForEach @(
        @{ Name = 'wireguard-notowned'; Id = 'NotOwnedByHomeTunnel'; Category = 'ResourceExists' }
        @{ Name = 'apache-notowned'; Id = 'NotOwnedByHomeTunnel'; Category = 'ResourceExists' }
        @{ Name = 'apache-configtestfailed'; Id = 'ConfigTestFailed'; Category = 'InvalidData' }
        @{ Name = 'unsupported-version'; Id = 'UnsupportedAgentVersion'; Category = 'InvalidOperation' }
    ) {
        $view = New-View 'Apache' @{ '/etc/apache2/sites-available/leak.example.test.conf' = 'x' }
        $record = [HomeTunnel.Cmdlets.HostErrors]::FromAnswer('relay.example.test', (Read-Answer $Name).Answer, $view)
        # Made outside a cmdlet, the id is the whole FullyQualifiedErrorId (a cmdlet adds its name after a comma).
        $record.FullyQualifiedErrorId | Should -Be $Id
        $record.CategoryInfo.Category | Should -Be $Category
        $record.TargetObject | Should -Be 'relay.example.test'
        $record.ErrorDetails.RecommendedAction | Should -Not -BeNullOrEmpty
    }

    It 'leaves the line of the file Apache quoted out of the error' {
        $view = New-View 'Apache' @{ '/etc/apache2/sites-available/leak.example.test.conf' = 'x' }
        $record = [HomeTunnel.Cmdlets.HostErrors]::FromAnswer('relay', (Read-Answer 'apache-configtestfailed').Answer, $view)
        "$record $($record.ErrorDetails) $($record.Exception.Message)" | Should -Not -Match 'SECRETHASH'
        "$($record.ErrorDetails)" | Should -Match 'not shown'
    }

    It 'is no error for a read or a change' -ForEach @(@{ Name = 'status' }, @{ Name = 'profile' }, @{ Name = 'wireguard-unchanged' }, @{ Name = 'apache-wouldchange' }) {
        [HomeTunnel.Cmdlets.HostErrors]::FromAnswer('relay', (Read-Answer $Name).Answer, (New-View 'Apache')) | Should -BeNullOrEmpty
    }

    It 'takes an answer in a state it does not know as a failure' {
        $a = [HomeTunnel.Hosts.AgentAnswer]::From(@{ State = 'Frobnicated' })
        $a.ChangeState | Should -Be 'Failed'
        $record = [HomeTunnel.Cmdlets.HostErrors]::FromAnswer('relay', $a, (New-View 'Apache'))
        $record.FullyQualifiedErrorId | Should -Be 'HostOperationFailed'
    }

    It 'reads the host profile' {
        $p = [HomeTunnel.Hosts.HostProfile]::From((Read-Answer 'profile').Answer.Payload['Profile'])
        $p.OsId | Should -Be 'debian'
        $p.WebServer | Should -Be 'apache2'
        $p.PackageManager | Should -Be 'apt-get'
        $p.WireGuard | Should -BeIn 'kernel', 'userspace'
    }
}
