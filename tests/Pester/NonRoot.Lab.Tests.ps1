# As a user who is neither root nor allowed sudo, every host change stops at once with NotRootNorSudo
# and changes nothing. (Tag Lab: it needs root to become another user.)
BeforeAll {
    . $PSScriptRoot/Common.ps1
    Import-Module "$RepoRoot/tests/Lab/Lab.psm1" -Force
    $scratch = Join-Path ([IO.Path]::GetTempPath()) "hometunnel-nobody-$PID"
    $null = New-Item -ItemType Directory -Force $scratch
    chmod 777 $scratch
    # The checkout may sit in a folder other users cannot enter (/root, a mktemp -d folder): the pwsh and the
    # module the test users run are copies in a folder every user can read.
    $shared = New-Item -ItemType Directory -Force (Join-Path $scratch 'shared')
    Copy-Item -Recurse (Split-Path (Get-LabPwsh)) (Join-Path $shared 'pwsh')
    Copy-Item -Recurse $ModulePath (Join-Path $shared 'HomeTunnel')
    chmod -R a+rX $shared
    $labPwsh = Join-Path $shared 'pwsh/pwsh'
    $userModule = Join-Path $shared 'HomeTunnel'
    function Invoke-AsNobody([string] $Command) {
        # Started in a folder the user can enter: the checkout may be in one it cannot (/root, a 0700 folder).
        Push-Location $scratch
        try { setpriv --reuid=65534 --regid=65534 --clear-groups env "HOME=$scratch" "DOTNET_CLI_HOME=$scratch" $labPwsh -NoProfile -NonInteractive -Command "Import-Module '$userModule'; $Command" 2>&1 | Out-String }
        finally { Pop-Location }
    }
}
AfterAll { Remove-Item -Recurse -Force $scratch -ErrorAction Ignore }

Describe 'Neither root nor sudo' -Tag Lab {
    It 'Install-WireGuardConfig fails with NotRootNorSudo (PermissionDenied) and writes nothing' {
        $before = Test-Path /etc/wireguard/wg5.conf
        $out = Invoke-AsNobody @'
$r = New-TunnelPeer -Name relay -Role Relay -Address 192.168.4.1/24 -Endpoint 127.0.0.1
$h = New-TunnelPeer -Name home -Role Home -Address 192.168.4.2/32
New-WireGuardConfig -For $h -Peer $r | Install-WireGuardConfig -Local -InterfaceName wg5 -ErrorAction SilentlyContinue -ErrorVariable e
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
New-ApacheProxySite -ServerName nobody.example.test -Backend http://192.168.4.2:3000/ | Install-ApacheProxySite -Local -ErrorAction SilentlyContinue -ErrorVariable e
"ID=$($e[0].FullyQualifiedErrorId)"
'@
        $out | Should -Match '(?m)^ID=NotRootNorSudo,' -Because $out
        Test-Path /etc/apache2/sites-available/nobody.example.test.conf | Should -BeFalse
    }
}

Describe 'Completion from what HomeTunnel knows' -Tag Lab {
    It 'completes a check''s -Name from the user''s registered checks, not from file names' {
        $checks = Join-Path $scratch '.config/hometunnel/checks'
        $null = New-Item -ItemType Directory -Force $checks
        foreach ($n in 'site-a', 'site-b', 'other') { Set-Content -LiteralPath (Join-Path $checks "$n.json") -Value '{}' }
        chmod -R a+rX (Join-Path $scratch '.config')
        $out = Invoke-AsNobody @'
foreach ($line in 'Unregister-TunnelPathCheck -Name si', 'Get-TunnelPathCheck -Name o') {
    "COMPLETE=" + ((TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText -join ',')
}
'@
        $out | Should -Match '(?m)^COMPLETE=site-a,site-b\s*$' -Because $out
        $out | Should -Match '(?m)^COMPLETE=other\s*$'
    }
}

Describe 'A user with password-less sudo for the documented commands' -Tag Lab {
    # In a network namespace of its own and a mount namespace whose /etc is an overlay, a user is made
    # and given exactly the sudoers line docs/sudo.md shows: the machine's own /etc and network are
    # never touched. The user then installs and removes a WireGuard interface through the agent.
    BeforeAll {
        $prefix = 'htsudo'
        Stop-Lab -Prefix $prefix
        $dir = Join-Path $TestDrive 'sudo'
        foreach ($d in 'etc-up', 'etc-work', 'log-up', 'log-work', 'home') { $null = New-Item -ItemType Directory -Force (Join-Path $dir $d) }
        chmod 755 $dir (Join-Path $dir 'home') $TestDrive
        ip netns add "$prefix-net"
        ip -n "$prefix-net" link set lo up
        $sudoers = ((Get-Content -Raw "$RepoRoot/docs/sudo.md") -split "`n" | Where-Object { $_ -match '^deploy ALL=' }) -replace '^deploy', 'htsudo'
        $sudoers | Should -Not -BeNullOrEmpty
        Set-Content (Join-Path $dir 'sudoers') $sudoers
        $script = Join-Path $dir 'as-user.ps1'
        Set-Content $script @"
Import-Module '$userModule'
`$r = New-TunnelPeer -Name relay -Role Relay -Address 10.66.0.1/24 -ListenPort 51877 -Endpoint 127.0.0.1
`$h = New-TunnelPeer -Name home -Role Home -Address 10.66.0.2/32
`$c = New-WireGuardConfig -For `$r -Peer `$h
"WHO=`$(id -un)"
"FIRST=`$((`$c | Install-WireGuardConfig -Local -InterfaceName wg7 -ErrorAction Continue).State)"
"AGAIN=`$((`$c | Install-WireGuardConfig -Local -InterfaceName wg7).State)"
"MODE=`$(sudo -n sh -c 'stat -c "%a %U" /etc/wireguard/wg7.conf')"
"PEERS=`$(sudo -n wg show wg7 peers)"
"STATUS=`$((Get-TunnelStatus -Local -InterfaceName wg7).Name)"
"REMOVED=`$((Uninstall-WireGuardConfig -Local -InterfaceName wg7 -Confirm:`$false).State)"
sudo -n cat /etc/wireguard/wg7.conf 2>`$null | Out-Null
"GONE=`$(`$LASTEXITCODE -ne 0)"
"@
        chmod 644 $script
        $runner = Join-Path $dir 'run.sh'
        Set-Content $runner @"
set -e
mount -t overlay overlay -o lowerdir=/etc,upperdir=$dir/etc-up,workdir=$dir/etc-work /etc
mount -t overlay overlay -o lowerdir=/var/log,upperdir=$dir/log-up,workdir=$dir/log-work /var/log
mount -t tmpfs -o mode=0755 tmpfs /run/wireguard 2>/dev/null || { mkdir -p /run/wireguard; mount -t tmpfs -o mode=0755 tmpfs /run/wireguard; }
useradd -M -d $dir/home -s /bin/sh htsudo
chown htsudo $dir/home
install -m 0440 $dir/sudoers /etc/sudoers.d/htsudo
cd $dir/home
exec setpriv --reuid=htsudo --regid=htsudo --init-groups env HOME=$dir/home DOTNET_CLI_HOME=$dir/home $labPwsh -NoProfile -NonInteractive -File $script
"@
    }
    AfterAll {
        Stop-Lab -Prefix $prefix   # every process in the namespace (a wireguard-go left by a failure), then the namespace
    }

    It 'installs, reports unchanged, and removes an interface through sudo -n' {
        $out = ip netns exec "$prefix-net" unshare -m --propagation private sh $runner 2>&1 | Out-String
        $out | Should -Match '(?m)^WHO=htsudo' -Because $out
        $out | Should -Match '(?m)^FIRST=Created\s*$' -Because $out
        $out | Should -Match '(?m)^AGAIN=Unchanged\s*$'
        $out | Should -Match '(?m)^MODE=600 root\s*$'
        $out | Should -Match '(?m)^PEERS=\S{43}='
        $out | Should -Match '(?m)^STATUS=home\s*$'
        $out | Should -Match '(?m)^REMOVED=Removed\s*$'
        $out | Should -Match '(?m)^GONE=True\s*$'
        Test-Path /etc/wireguard/wg7.conf | Should -BeFalse -Because 'the machine''s own /etc was overlaid'
        (Get-Content /etc/passwd -Raw) | Should -Not -Match '(?m)^htsudo:'
    }
}
