# Initialize-TunnelHost offline: the host profiles' exact commands and files, the planner's decisions from a
# host's facts, host key fingerprints, and every bad input refused before any host is asked.
# The real thing, from bare booted hosts to a visitor's 200, is Systemd.Lab.Tests.ps1.
BeforeAll {
    . $PSScriptRoot/Common.ps1
    $ProbeScript = Join-Path $RepoRoot 'src/HomeTunnel.PowerShell/Bootstrap/probe.sh'

    # A probe's output, as the host would print it.
    function New-ProbeOutput {
        param(
            [string] $OsRelease = "PRETTY_NAME=`"Debian GNU/Linux 12 (bookworm)`"`nID=debian`nVERSION_ID=`"12`"",
            [string] $Init = 'systemd', [string[]] $Command = @('sshd=/usr/sbin/sshd', 'systemctl=/usr/bin/systemctl'),
            [switch] $KernelWireGuard, [string] $Firewall = 'none', [string[]] $Enabled = @(),
            [string[]] $Subsystem = @('subsystem sftp /usr/lib/openssh/sftp-server'), [string[]] $NftDrop = @(),
            [string[]] $Open = @(), [string[]] $Kept = @(), [string[]] $Package = @('iproute2', 'openssh-server', 'systemd')
        )
        $lines = [System.Collections.Generic.List[string]]::new()
        $lines.Add('@os-release'); $lines.Add($OsRelease)
        $lines.Add('@facts'); $lines.Add('arch=x86_64'); $lines.Add("init=$Init")
        foreach ($c in $Command) { $lines.Add("cmd.$c") }
        $lines.Add("kernel_wireguard=$(if ($KernelWireGuard) { 'yes' } else { 'no' })"); $lines.Add("firewall=$Firewall")
        foreach ($e in $Enabled) { $lines.Add("enabled.$e") }
        foreach ($section in @(@('@sshd', $Subsystem), @('@nft-drop', $NftDrop), @('@firewall-open', $Open), @('@nft-kept', $Kept), @('@packages', $Package))) {
            $lines.Add($section[0]); foreach ($l in $section[1]) { $lines.Add($l) }
        }
        $lines.Add('@end')
        $lines -join "`n"
    }
    function Get-Plan([string] $Output, [string] $Role = 'Relay', [string] $Package, [int] $ListenPort = 51820) {
        $facts = [HomeTunnel.Bootstrap.BootstrapFacts]::Parse($Output)
        $pkg = if ($Package) { [HomeTunnel.Bootstrap.PowerShellPackage]::From($Package) } else { $null }
        [HomeTunnel.Bootstrap.BootstrapPlanner]::Plan($facts, [HomeTunnel.Bootstrap.BootstrapRequest]::new($Role, $ListenPort, $pkg), 'vps.example.test')
    }
    function Get-PlanError([scriptblock] $Block) {
        try { & $Block; throw 'expected a refusal' } catch { $_.Exception.GetBaseException() }
    }
    $archive = Join-Path $TestDrive 'powershell-7.6.9-linux-x64.tar.gz'; Set-Content $archive 'x'
    $deb = Join-Path $TestDrive 'powershell_7.6.9-1.deb_amd64.deb'; Set-Content $deb 'x'
    $rpm = Join-Path $TestDrive 'powershell-7.6.9-1.rh.x86_64.rpm'; Set-Content $rpm 'x'
    $fedora = "NAME=`"Fedora Linux`"`nID=fedora`nVERSION_ID=40`nPRETTY_NAME=`"Fedora Linux 40 (Server Edition)`""
    $alpine = "NAME=`"Alpine Linux`"`nID=alpine`nVERSION_ID=3.20.3`nPRETTY_NAME=`"Alpine Linux v3.20`""
    $ubuntu = "NAME=`"Ubuntu`"`nID=ubuntu`nID_LIKE=debian`nVERSION_ID=`"24.04`"`nPRETTY_NAME=`"Ubuntu 24.04.1 LTS`""
    $complete = @{
        Command = 'sshd=/usr/sbin/sshd', 'pwsh=/usr/bin/pwsh', 'wg=/usr/bin/wg'
        Subsystem = 'subsystem sftp /usr/lib/openssh/sftp-server', 'subsystem powershell /usr/bin/pwsh -sshs -NoLogo -NoProfile'
        Enabled = 'apache2=enabled'
        Package = 'iproute2', 'wireguard-tools', 'nftables', 'wireguard-go', 'apache2', 'libicu72', 'ca-certificates'
    }
}

Describe 'The Debian profile' {
    It 'plans a bare Debian 12 relay: packages, PowerShell from the archive, the subsystem, Apache at boot' {
        $steps = Get-Plan (New-ProbeOutput) -Package $archive
        $steps.Id | Should -Be @('Packages', 'PowerShell', 'SshSubsystem', 'WebServerAtBoot')
        $steps[0].Script | Should -BeExactly ("set -e`nDEBIAN_FRONTEND=noninteractive apt-get update -q`n" +
            "DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends wireguard-tools nftables wireguard-go apache2 libicu72 ca-certificates`n")
        $steps[1].StdinFile | Should -Be $archive
        $steps[1].Script | Should -Match 'tar -xzf "\$tmp/powershell.tar.gz" -C "\$dir.new"'
        $steps[1].Script | Should -Match 'ln -sfn "\$dir/pwsh" /usr/bin/pwsh'
        $steps[1].Script | Should -Match 'mktemp -d /var/tmp/hometunnel\.'   # never a fixed name in a shared folder
        $steps[2].Script | Should -Match "line='Subsystem powershell /usr/bin/pwsh -sshs -NoLogo -NoProfile'"
        $steps[2].Script | Should -Match '(?m)^systemctl reload ssh$'
        $steps[3].Script | Should -BeExactly "set -e`nsystemctl enable apache2`n"
    }

    It 'plans nothing for a host that has everything: a second run changes nothing' {
        @(Get-Plan (New-ProbeOutput @complete) -Package $archive) | Should -HaveCount 0
        @(Get-Plan (New-ProbeOutput @complete) -Role Home) | Should -HaveCount 0
    }

    It 'leaves wireguard-go out where the kernel has WireGuard, and Apache out on a home machine' {
        $steps = Get-Plan (New-ProbeOutput -KernelWireGuard -Command 'pwsh=/usr/bin/pwsh') -Role Home
        $steps[0].Description | Should -Be 'install wireguard-tools nftables'
    }

    It 'takes the .deb with apt, which brings its dependencies' {
        $steps = Get-Plan (New-ProbeOutput) -Role Home -Package $deb
        $steps[0].Script | Should -Not -Match 'libicu'
        $steps[1].Script | Should -Match 'apt-get install -y -q "\$tmp/powershell.deb"'
    }

    It 'installs from Microsoft''s repository for the exact release when no package is given' {
        $steps = Get-Plan (New-ProbeOutput -OsRelease $ubuntu) -Role Home
        $steps[0].Script | Should -Match 'install -y -q --no-install-recommends wireguard-tools nftables wireguard-go curl ca-certificates$'
        $steps[1].Script | Should -Match ([regex]::Escape('https://packages.microsoft.com/config/ubuntu/24.04/packages-microsoft-prod.deb'))
        $steps[1].Script | Should -Match '(?m)^DEBIAN_FRONTEND=noninteractive apt-get install -y -q powershell$'
    }

    It 'reloads sshd the way the host''s init does' {
        (Get-Plan (New-ProbeOutput -Init none -Command 'pwsh=/usr/bin/pwsh') -Role Home | Where-Object Id -EQ SshSubsystem).Script | Should -Match 'kill -HUP "\$\(cat /run/sshd.pid\)"'
    }

    It 'refuses the archive on a Debian release whose library names it does not know' {
        $e = Get-PlanError { Get-Plan (New-ProbeOutput -OsRelease "ID=debian`nVERSION_ID=`"9`"`nPRETTY_NAME=`"Debian 9`"") -Package $archive }
        $e.ErrorId | Should -Be 'HostProfileStepNotSupported'
        $e.Message | Should -Match 'give the .deb instead'
    }

    It 'will not write a pwsh path with shell characters into sshd_config' {
        $e = Get-PlanError { Get-Plan (New-ProbeOutput -Command 'pwsh=/usr/bin/pw sh;reboot') -Role Home }
        $e.ErrorId | Should -Be 'HostProfileStepNotSupported'
    }
}

Describe 'The Fedora/RHEL profile' {
    It 'plans a Fedora home machine with dnf and the .rpm, and reloads sshd' {
        $steps = Get-Plan (New-ProbeOutput -OsRelease $fedora -KernelWireGuard -Package 'openssh-server') -Role Home -Package $rpm
        $steps.Id | Should -Be @('Packages', 'PowerShell', 'SshSubsystem')
        $steps[0].Script | Should -BeExactly "set -e`ndnf install -y -q wireguard-tools iproute nftables`n"
        $steps[1].Script | Should -Match 'dnf install -y -q "\$tmp/powershell.rpm"'
        $steps[2].Script | Should -Match '(?m)^systemctl reload sshd$'
    }

    It 'adds Microsoft''s RHEL repository when no package is given' {
        $steps = Get-Plan (New-ProbeOutput -OsRelease $fedora -KernelWireGuard) -Role Home
        $steps[1].Script | Should -Match ([regex]::Escape('https://packages.microsoft.com/config/rhel/9/prod.repo'))
        $steps[1].Script | Should -Match '(?m)^dnf install -y -q powershell$'
    }

    It 'refuses a Fedora relay (the /etc/httpd/conf.d layout) and a kernel without WireGuard, changing nothing' {
        (Get-PlanError { Get-Plan (New-ProbeOutput -OsRelease $fedora -KernelWireGuard) -Role Relay -Package $rpm }).Message | Should -Match '/etc/httpd/conf.d'
        (Get-PlanError { Get-Plan (New-ProbeOutput -OsRelease $fedora) -Role Home -Package $rpm }).Message | Should -Match 'no wireguard-go package'
        (Get-PlanError { Get-Plan (New-ProbeOutput -OsRelease $fedora -KernelWireGuard) -Role Home -Package $deb }).Message | Should -Match 'deb package on Fedora/RHEL'
    }
}

Describe 'The Alpine profile' {
    It 'names apk, OpenRC and the musl archive, and refuses what it cannot do yet' {
        $profile = [HomeTunnel.Bootstrap.BootstrapProfile]::For([HomeTunnel.Bootstrap.OsRelease]::Parse($alpine))
        $profile.Name | Should -Be 'Alpine'
        $profile.InstallPackages([string[]]@('wireguard-tools', 'wireguard-go')) | Should -BeExactly "set -e`napk add --no-cache wireguard-tools wireguard-go`n"
        $profile.PowerShellFromRepository([HomeTunnel.Bootstrap.OsRelease]::Parse($alpine)) | Should -BeNullOrEmpty
        $profile.PowerShellArchivePrerequisites([HomeTunnel.Bootstrap.OsRelease]::Parse($alpine)) | Should -Contain 'icu-libs'
        $homeError = Get-PlanError { Get-Plan (New-ProbeOutput -OsRelease $alpine -Init openrc) -Role Home -Package $archive }
        $homeError.ErrorId | Should -Be 'HostProfileStepNotSupported'
        $homeError.Message | Should -Match 'OpenRC has no wg-quick service'
        (Get-PlanError { Get-Plan (New-ProbeOutput -OsRelease $alpine -Init openrc) -Role Home }).Message | Should -Match 'Microsoft publishes none'
        (Get-PlanError { Get-Plan (New-ProbeOutput -OsRelease $alpine -Init openrc) -Role Relay -Package $archive }).Message | Should -Match '/etc/apache2/conf.d'
    }

    It 'refuses a system with no profile' {
        $e = Get-PlanError { Get-Plan (New-ProbeOutput -OsRelease "ID=arch`nPRETTY_NAME=`"Arch Linux`"") -Package $archive }
        $e.ErrorId | Should -Be 'HostProfileNotSupported'
        $e.Message | Should -Match 'Arch Linux'
    }
}

Describe 'The relay''s firewall' {
    It 'opens the WireGuard port, 80 and 443 in an active ufw, marked as HomeTunnel''s' {
        $step = Get-Plan (New-ProbeOutput @complete -Firewall ufw) -ListenPort 51999 | Where-Object Id -EQ Firewall
        $step.Script | Should -BeExactly "set -e`nufw allow 51999/udp comment HomeTunnel`nufw allow 80/tcp comment HomeTunnel`nufw allow 443/tcp comment HomeTunnel`n"
    }

    It 'opens only what is not open yet, and nothing when all is' {
        (Get-Plan (New-ProbeOutput @complete -Firewall ufw -Open '51820/udp', '80/tcp') | Where-Object Id -EQ Firewall).Description | Should -Be 'open 443/tcp in ufw'
        @(Get-Plan (New-ProbeOutput @complete -Firewall ufw -Open '51820/udp', '80/tcp', '443/tcp')) | Should -HaveCount 0
    }

    It 'uses firewalld''s permanent rules and reloads it' {
        (Get-Plan (New-ProbeOutput @complete -Firewall firewalld) | Where-Object Id -EQ Firewall).Script |
            Should -BeExactly "set -e`nfirewall-cmd --permanent --add-port=51820/udp --add-port=80/tcp --add-port=443/tcp`nfirewall-cmd --reload`n"
    }

    It 'keeps nftables openings as items, a loader of fixed text and a boot unit of its own' {
        $script = (Get-Plan (New-ProbeOutput @complete -Firewall nftables -NftDrop 'inet filter input', 'inet evil;reboot input') | Where-Object Id -EQ Firewall).Script
        foreach ($item in 'udp-51820', 'tcp-80', 'tcp-443') {
            $script | Should -Match ([regex]::Escape("echo '# Managed by HomeTunnel' > /etc/hometunnel/openings.d/$item"))
        }
        $script | Should -Match ([regex]::Escape([HomeTunnel.Forwards.NftHostOpenings]::Loader))
        $script | Should -Not -Match 'evil'   # no chain name is spliced in: the loader finds the chains when it runs
        $script | Should -Match 'After=nftables.service'
        $script | Should -Match '(?m)^systemctl enable hometunnel-firewall.service$'
        $script | Should -Match '(?m)^/etc/hometunnel/firewall.sh$'
    }

    It 'keeps the openings an earlier run made when it adds one, and plans nothing when all are open and kept' {
        $earlier = @{ Firewall = 'nftables'; NftDrop = 'inet filter input'; Open = '51820/udp', '80/tcp', '443/tcp' }
        $step = Get-Plan (New-ProbeOutput @complete @earlier -Kept 'udp-51820', 'tcp-80', 'tcp-443') -ListenPort 51821 | Where-Object Id -EQ Firewall
        $step.Description | Should -Be 'open 51821/udp in nftables'
        foreach ($item in 'udp-51820', 'udp-51821', 'tcp-80', 'tcp-443') { $step.Script | Should -Match "openings.d/$item\b" }
        @(Get-Plan (New-ProbeOutput @complete @earlier -Kept 'udp-51820', 'tcp-80', 'tcp-443')) | Should -HaveCount 0
    }

    It 'makes the openings again when their rules stand but nothing keeps them across a boot' {
        # An earlier HomeTunnel kept only the ports it opened in its last run: a rule with no item is gone after a reboot.
        $step = Get-Plan (New-ProbeOutput @complete -Firewall nftables -NftDrop 'inet filter input' -Open '51820/udp', '80/tcp', '443/tcp' -Kept 'tcp-80', '../x', 'tcp-99999') | Where-Object Id -EQ Firewall
        $step.Description | Should -Be 'open 51820/udp, 443/tcp in nftables'
    }

    It 'refuses, before writing anything, a loader or unit it did not write' {
        $script = (Get-Plan (New-ProbeOutput @complete -Firewall nftables -NftDrop 'inet filter input') | Where-Object Id -EQ Firewall).Script
        $firstWrite = $script.IndexOf('mkdir -p')
        foreach ($path in '/etc/hometunnel/firewall.sh', '/etc/systemd/system/hometunnel-firewall.service') {
            $check = $script.IndexOf("if [ -L $path ]")
            $check | Should -BeGreaterThan -1
            $check | Should -BeLessThan $firstWrite
        }
        $script | Should -Match '(?m)^  exit 4$'
    }

    It 'leaves a home machine''s firewall alone' {
        @(Get-Plan (New-ProbeOutput @complete -Firewall ufw) -Role Home) | Should -HaveCount 0
    }
}

Describe 'The probe' {
    It 'reads this machine and changes nothing' -Skip:(-not (Test-IsRoot)) {
        $out = sh $ProbeScript 2>$null | Out-String
        $out | Should -Match '(?m)^@end'
        $facts = [HomeTunnel.Bootstrap.BootstrapFacts]::Parse($out)
        $facts.Os.Id | Should -Not -BeNullOrEmpty
        $facts.Architecture | Should -Not -BeNullOrEmpty
        $facts.Packages.Count | Should -BeGreaterThan 10
    }

    It 'parses os-release''s quoting and the facts' {
        $facts = [HomeTunnel.Bootstrap.BootstrapFacts]::Parse((New-ProbeOutput -OsRelease $ubuntu -Firewall ufw -Enabled 'apache2=disabled' -Subsystem 'subsystem powershell /opt/pwsh -sshs'))
        $facts.Os.Id | Should -Be 'ubuntu'
        $facts.Os.IdLike | Should -Be @('debian')
        $facts.Os.VersionId | Should -Be '24.04'
        $facts.Os.PrettyName | Should -Be 'Ubuntu 24.04.1 LTS'
        $facts.PowerShellSubsystem | Should -Be '/opt/pwsh -sshs'
        $facts.EnabledAtBoot['apache2'] | Should -Be 'disabled'
        $facts.Firewall | Should -Be 'ufw'
    }
}

Describe 'Host keys and the SSH command line' {
    It 'computes the fingerprint ssh-keygen shows' {
        $key = Join-Path $TestDrive 'hk'
        ssh-keygen -q -t ed25519 -N '' -f $key
        $line = Get-Content "$key.pub"
        $expected = ((ssh-keygen -lf "$key.pub") -split ' ')[1]
        $scanned = [HomeTunnel.Bootstrap.HostKeyTrust]::ParseScan("# comment`nvps.example.test ssh-rsa AAAAB3NzaC1yc2E=`nvps.example.test $line")
        $scanned[0].Type | Should -Be 'ssh-ed25519'   # the strongest first
        $scanned[0].Fingerprint | Should -BeExactly $expected
        [HomeTunnel.Bootstrap.HostKeyTrust]::SameFingerprint($expected, $expected.Substring(7)) | Should -BeTrue
        [HomeTunnel.Bootstrap.HostKeyTrust]::SameFingerprint($expected, 'SHA256:' + $expected.Substring(8)) | Should -BeFalse
    }

    It 'writes known_hosts entries as ssh reads them, in a 0600 file' {
        $file = Join-Path $TestDrive 'kh/known_hosts'
        $k = [HomeTunnel.Bootstrap.ScannedHostKey]::new('ssh-ed25519', 'AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl')
        [HomeTunnel.Bootstrap.HostKeyTrust]::Enrol($file, 'vps.example.test', 2222, $k)
        Get-Content $file | Should -Be '[vps.example.test]:2222 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl'
        (stat -c '%a' $file) | Should -Be '600'
        ssh-keygen -F '[vps.example.test]:2222' -f $file | Should -Not -BeNullOrEmpty
    }

    It 'sends a script as one quoted word after --, through sudo -n for a user who is not root' {
        $shell = [HomeTunnel.Bootstrap.OpenSshShell]::new('vps.example.test', 'admin', '/k', 2222, '/kh', 10)
        $argv = $shell.Arguments("echo 'it''s'")
        $argv[-2] | Should -Be 'vps.example.test'
        $argv[-3] | Should -Be '--'
        $argv[-1] | Should -BeExactly "sudo -n sh -c 'echo '\''it'\'''\''s'\'''"
        $argv | Should -Contain 'StrictHostKeyChecking=yes'
        $argv | Should -Contain 'BatchMode=yes'
        # What the remote login shell runs (ssh hands it the string): the script, quotes intact.
        sh -c ($argv[-1] -replace '^sudo -n sh -c ', 'printf %s ') | Should -BeExactly "echo 'it''s'"
        # ssh splits an -o value at white space: a known_hosts path with a space is quoted for it.
        [HomeTunnel.Bootstrap.OpenSshShell]::new('h.example.test', 'root', $null, 22, '/tmp/my hosts/kh', 10).Arguments('true') | Should -Contain 'UserKnownHostsFile="/tmp/my hosts/kh"'
    }
}

Describe 'Initialize-TunnelHost refuses bad input before it asks any host' {
    It 'refuses <Name>' -ForEach @(
        @{ Name = 'a host name that is an ssh option'; Params = @{ HostName = '-oProxyCommand=touch /tmp/x'; UserName = 'root' }; Id = 'HostName*' }
        @{ Name = 'a user name that is an ssh option'; Params = @{ HostName = 'vps.example.test'; UserName = '-oProxyCommand=x' }; Id = 'InvalidUserName' }
        @{ Name = 'a package of an unknown kind'; Params = @{ HostName = 'vps.example.test'; UserName = 'root'; PowerShellPackage = '$PSScriptRoot/Initialize-TunnelHost.Tests.ps1' }; Id = 'PowerShellPackageUnknown' }
        @{ Name = 'a missing key file'; Params = @{ HostName = 'vps.example.test'; UserName = 'root'; KeyFilePath = '/nonexistent/key' }; Id = 'FileNotFound' }
    ) {
        $p = $Params.Clone()
        if ($p['PowerShellPackage']) { $p.PowerShellPackage = Join-Path $PSScriptRoot 'Initialize-TunnelHost.Tests.ps1' }
        $e = Get-ErrorRecord { Initialize-TunnelHost @p -Role Relay -KnownHostsPath (Join-Path $TestDrive 'none') }
        $e.FullyQualifiedErrorId | Should -BeLike "$Id,*"
        $e.TargetObject | Should -Not -BeNullOrEmpty
        Test-Path (Join-Path $TestDrive 'none') | Should -BeFalse
    }

    It 'says so when nothing answers for a host key' {
        $e = Get-ErrorRecord { Initialize-TunnelHost 127.0.0.1 -Port 9 -UserName root -Role Home -KnownHostsPath (Join-Path $TestDrive 'kh2') }
        Assert-HomeTunnelError $e 'SshConnectFailed' 'ConnectionError' '127.0.0.1'
        Test-Path (Join-Path $TestDrive 'kh2') | Should -BeFalse
    }
}

Describe 'The tunnel at boot on systemd hosts' {
    BeforeAll {
        $relay = New-TunnelPeer -Name relay -Role Relay -Address 192.168.4.1/24 -ListenPort 51820 -Endpoint vps.example.test
        $homePeer = New-TunnelPeer -Name home -Role Home -Address 192.168.4.2/32 -PersistentKeepalive 25
        $homeConfig = New-WireGuardConfig -For $homePeer -Peer $relay
        $relayConfig = New-WireGuardConfig -For $relay -Peer $homePeer
        # The live AllowedIPs as wg shows them: here host routes, each its own network.
        function New-WgFacts($Config, [hashtable] $Boot) {
            ConvertTo-AgentFacts WireGuardFacts @{ Path = '/etc/wireguard/wg0.conf'; Current = $Config.RevealText(); Up = $true; ListenPort = "$($Config.ListenPort)"
                Peers = @($Config.Peers | ForEach-Object { @{ PublicKey = $_.PublicKey; AllowedIPs = ($_.AllowedIPs -split ', ') -join ',' } })
                Boot = $Boot }
        }
        $units = [HomeTunnel.Hosts.TunnelBootUnits]::Files
    }

    It 'enables wg-quick@ and, on the side that dials, the watch; the relay gets no watch' {
        $plan = [HomeTunnel.Hosts.WireGuardPlanner]::Plan((New-WgFacts $homeConfig @{ Systemd = $true; Enabled = $false; Watching = $false; Units = @{} }), $homeConfig, 'wg0', $false, $false)
        $plan.Changed | Should -BeTrue
        $plan.Plan.Boot.Enable | Should -BeTrue
        $plan.Plan.Boot.Watch | Should -BeTrue
        $plan.Plan.Boot.Units.Keys | Sort-Object | Should -Be @($units.Keys | Sort-Object)
        $relayPlan = [HomeTunnel.Hosts.WireGuardPlanner]::Plan((New-WgFacts $relayConfig @{ Systemd = $true; Enabled = $true; Watching = $false; Units = @{} }), $relayConfig, 'wg0', $false, $false)
        $relayPlan.Changed | Should -BeFalse
    }

    It 'is Unchanged once enabled and watching with its own unit files, and not on a host without systemd' {
        $have = @{}; foreach ($k in $units.Keys) { $have[$k] = $units[$k] }
        ([HomeTunnel.Hosts.WireGuardPlanner]::Plan((New-WgFacts $homeConfig @{ Systemd = $true; Enabled = $true; Watching = $true; Units = $have }), $homeConfig, 'wg0', $false, $false)).Changed | Should -BeFalse
        ([HomeTunnel.Hosts.WireGuardPlanner]::Plan((New-WgFacts $homeConfig @{ Systemd = $false; Enabled = $false; Watching = $false; Units = @{} }), $homeConfig, 'wg0', $false, $false)).Changed | Should -BeFalse
    }

    It 'is changed when it would not come back after a reboot (not enabled at boot)' {
        $have = @{}; foreach ($k in $units.Keys) { $have[$k] = $units[$k] }
        ([HomeTunnel.Hosts.WireGuardPlanner]::Plan((New-WgFacts $homeConfig @{ Systemd = $true; Enabled = $false; Watching = $true; Units = $have }), $homeConfig, 'wg0', $false, $false)).Changed | Should -BeTrue
    }

    It 'does not replace a unit file it did not write' {
        $plan = [HomeTunnel.Hosts.WireGuardPlanner]::Plan((New-WgFacts $homeConfig @{ Systemd = $true; Enabled = $true; Watching = $false; Units = @{ ([HomeTunnel.Hosts.TunnelBootUnits]::TimerPath) = "[Timer]`nOnCalendar=daily`n" } }), $homeConfig, 'wg0', $false, $false)
        $plan.ErrorId | Should -Be 'NotOwnedByHomeTunnel'
    }

    It 'times the watch to find a restarted relay within seconds, quietly' {
        [HomeTunnel.Hosts.TunnelBootUnits]::Timer | Should -Match '(?m)^OnUnitActiveSec=10s$'
        [HomeTunnel.Hosts.TunnelBootUnits]::Timer | Should -Match '(?m)^AccuracySec=1s$'
        [HomeTunnel.Hosts.TunnelBootUnits]::Service | Should -Match '(?m)^LogLevelMax=notice$'
        # The script sends one datagram per peer with an endpoint, into that peer's AllowedIPs.
        $script = Join-Path $TestDrive 'watch.sh'
        Set-Content $script ([HomeTunnel.Hosts.TunnelBootUnits]::Script)
        sh -n $script
        $LASTEXITCODE | Should -Be 0
    }
}

Describe 'The relay''s nftables loader, run by real nft' -Tag Lab {
    # In a network namespace of its own (unshare: it goes with the process), with the loader's folder moved to a
    # test folder: only the path differs from the text the bootstrap writes.
    BeforeAll {
        $script:dir = Join-Path $TestDrive 'openings'
        $null = New-Item -ItemType Directory $dir
        foreach ($item in 'udp-51820', 'tcp-80', 'tcp-80;reboot', 'foo', 'tcp-') { Set-Content -LiteralPath (Join-Path $dir $item) -Value '# Managed by HomeTunnel' }
        $rules = Join-Path $TestDrive 'rules.nft'
        Set-Content -LiteralPath $rules -Value @(
            'table inet filter {', '  chain input {', '    type filter hook input priority filter; policy drop;', '    tcp dport 22 accept', '  }', '}'
            'table ip other {', '  chain in2 {', '    type filter hook input priority 10; policy drop;', '  }', '}'
            'table inet open {', '  chain input {', '    type filter hook input priority 5; policy accept;', '  }', '}'
        )
        $loader = Join-Path $TestDrive 'firewall.sh'
        Set-Content -LiteralPath $loader -NoNewline -Value ([HomeTunnel.Forwards.NftHostOpenings]::Loader.Replace([HomeTunnel.Forwards.NftHostOpenings]::Folder, $dir))
        $script:ruleset = & unshare --net sh -c "nft -f '$rules' && sh '$loader' && sh '$loader' && nft list ruleset" 2>&1 | Out-String
        if ($LASTEXITCODE -ne 0) { throw "the loader's run failed: $ruleset" }
    }

    It 'opens each kept port at the head of every dropping input chain, once however often it runs' {
        # At the head of the host's chain, before the owner's own rules; in the other dropping chain too.
        $ours = '(?:\s*(?:tcp dport 80|udp dport 51820) accept comment "HomeTunnel"){2}'
        $ruleset | Should -Match "(?s)chain input \{[^}]*policy drop;$ours\s*tcp dport 22 accept" -Because $ruleset
        $ruleset | Should -Match "(?s)chain in2 \{[^}]*policy drop;$ours\s*\}"
        $ruleset | Should -Match 'tcp dport 80 accept comment "HomeTunnel"'
        $ruleset | Should -Match 'udp dport 51820 accept comment "HomeTunnel"'
        ([regex]::Matches($ruleset, 'comment "HomeTunnel"')).Count | Should -Be 4
    }

    It 'leaves a chain that does not drop alone, and takes no item of another shape' {
        $ruleset | Should -Match '(?s)table inet open \{\s*chain input \{[^}]*policy accept;\s*\}'
        $ruleset | Should -Not -Match 'reboot'
    }
}
