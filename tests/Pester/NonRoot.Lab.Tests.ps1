# As a user who is neither root nor allowed sudo, every host change stops at once with NotRootNorSudo
# and changes nothing. (Tag Lab: it needs root to become another user.)
BeforeAll {
    . $PSScriptRoot/Common.ps1
    Import-Module "$RepoRoot/tests/Lab/Lab.psm1" -Force
    $labPwsh = Get-LabPwsh   # a pwsh any user can run (the dotnet tool lives under /root)
    $scratch = Join-Path ([IO.Path]::GetTempPath()) "hometunnel-nobody-$PID"
    $null = New-Item -ItemType Directory -Force $scratch
    chmod 777 $scratch
    function Invoke-AsNobody([string] $Command) {
        setpriv --reuid=65534 --regid=65534 --clear-groups env "HOME=$scratch" "DOTNET_CLI_HOME=$scratch" $labPwsh -NoProfile -NonInteractive -Command "Import-Module '$ModulePath'; $Command" 2>&1 | Out-String
    }
}
AfterAll { Remove-Item -Recurse -Force $scratch -ErrorAction Ignore }

Describe 'Neither root nor sudo' -Tag Lab {
    It 'Install-WireGuardConfig fails with NotRootNorSudo (PermissionDenied) and writes nothing' {
        $before = Test-Path /etc/wireguard/wg5.conf
        $out = Invoke-AsNobody @'
$r = New-TunnelPeer -Name relay -Role Relay -Address 192.168.4.1/24 -Endpoint 127.0.0.1
$h = New-TunnelPeer -Name home -Role Home -Address 192.168.4.2/32
New-WireGuardConfig -For $h -Peer $r | Install-WireGuardConfig -InterfaceName wg5 -ErrorAction SilentlyContinue -ErrorVariable e
"ID=$($e[0].FullyQualifiedErrorId)"; "CAT=$($e[0].CategoryInfo.Category)"; "TARGET=$($e[0].TargetObject)"; "UID=$(id -u)"
'@
        $out | Should -Match '(?m)^UID=65534'
        $out | Should -Match '(?m)^ID=NotRootNorSudo,' -Because $out
        $out | Should -Match '(?m)^CAT=PermissionDenied'
        $out | Should -Match '(?m)^TARGET=localhost'
        Test-Path /etc/wireguard/wg5.conf | Should -Be $before
    }

    It 'Install-ApacheProxySite fails the same way' {
        $out = Invoke-AsNobody @'
New-ApacheProxySite -ServerName nobody.example.test -Backend http://192.168.4.2:3000/ | Install-ApacheProxySite -ErrorAction SilentlyContinue -ErrorVariable e
"ID=$($e[0].FullyQualifiedErrorId)"
'@
        $out | Should -Match '(?m)^ID=NotRootNorSudo,' -Because $out
        Test-Path /etc/apache2/sites-available/nobody.example.test.conf | Should -BeFalse
    }
}
