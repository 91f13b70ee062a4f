# The package installs like any module: Compress-PSResource, a local repository, Install-PSResource in a
# fresh pwsh (with its own HOME, so nothing of this machine's user changes), then the offline pipeline.
BeforeAll {
    . $PSScriptRoot/Common.ps1
    $repo = Join-Path $TestDrive 'repo'
    $package = & "$RepoRoot/tools/New-ModulePackage.ps1" -ModulePath $ModulePath -DestinationPath $repo
    $home2 = Join-Path $TestDrive 'home'
    # The updatable help the build wrote beside the module (out/help).
    $helpSource = Join-Path (Split-Path $ModulePath) 'help'
    $null = New-Item -ItemType Directory $home2
}

Describe 'The package' {
    It 'holds the module, help, formats and every platform''s libsodium' {
        $package | Should -HaveCount 1
        $version = (Import-PowerShellDataFile "$RepoRoot/HomeTunnel.psd1").ModuleVersion
        $package.Name | Should -Be "HomeTunnel.$version.nupkg"
        Add-Type -AssemblyName System.IO.Compression.FileSystem
        $zip = [System.IO.Compression.ZipFile]::OpenRead($package.FullName)
        try { $entries = $zip.Entries.FullName } finally { $zip.Dispose() }
        foreach ($f in 'HomeTunnel.psd1', 'HomeTunnel.PowerShell.dll', 'HomeTunnel.Format.ps1xml', 'en-US/HomeTunnel.PowerShell.dll-Help.xml', 'deps/NSec.Cryptography.dll', 'deps/DnsClient.dll',
            'README.md', 'CHANGELOG.md', 'LICENSE') {
            $entries | Should -Contain $f
        }
        foreach ($rid in [HomeTunnel.NativeLibraryLocator]::ShippedRuntimes) {
            @($entries | Where-Object { $_ -like "deps/runtimes/$rid/native/*sodium*" }) | Should -Not -BeNullOrEmpty -Because "$rid needs its libsodium"
        }
    }

    It 'ships one semantic version everywhere, with the release notes of CHANGELOG.md''s section for it' {
        $version = (Import-PowerShellDataFile "$RepoRoot/HomeTunnel.psd1").ModuleVersion
        $version | Should -Match '^\d+\.\d+\.\d+$'
        # The log's released sections, newest first, each a version above the next; the manifest's is the newest.
        $sections = @([regex]::Matches((Get-Content -Raw "$RepoRoot/CHANGELOG.md"), '(?m)^## (\d+\.\d+\.\d+) - (\d{4}-\d{2}-\d{2})\s*$') | ForEach-Object { [version]$_.Groups[1].Value })
        $sections[0] | Should -Be ([version]$version) -Because 'the package ships what the newest released section lists, not what is Unreleased'
        for ($i = 1; $i -lt $sections.Count; $i++) { $sections[$i] | Should -BeLessThan $sections[$i - 1] }
        $built = Import-PowerShellDataFile (Join-Path $ModulePath 'HomeTunnel.psd1')
        $built.ModuleVersion | Should -Be $version
        $built.PrivateData.PSData.ReleaseNotes | Should -Match "^$([regex]::Escape($version)) \(\d{4}-\d{2}-\d{2}\): \S"
        [Diagnostics.FileVersionInfo]::GetVersionInfo((Join-Path $ModulePath 'HomeTunnel.PowerShell.dll')).ProductVersion | Should -Match "^$([regex]::Escape($version))"
        Add-Type -AssemblyName System.IO.Compression.FileSystem
        $zip = [System.IO.Compression.ZipFile]::OpenRead($package.FullName)
        try {
            $reader = [IO.StreamReader]::new(($zip.Entries | Where-Object FullName -Like '*.nuspec').Open())
            $nuspec = [xml]$reader.ReadToEnd(); $reader.Dispose()
        }
        finally { $zip.Dispose() }
        $nuspec.package.metadata.version | Should -Be $version
        $nuspec.package.metadata.releaseNotes | Should -Be $built.PrivateData.PSData.ReleaseNotes
        Get-Content -Raw (Join-Path $ModulePath 'en-US/about_HomeTunnel.help.txt') | Should -Match "This topic is for HomeTunnel $([regex]::Escape($version))\."
    }

    It 'ships its code compiled ahead of time for pwsh 7.6 on linux-x64, which a fresh pwsh uses instead of compiling it' -Skip:(
        [System.Runtime.InteropServices.RuntimeInformation]::ProcessArchitecture -ne 'X64' -or -not $IsLinux -or [Environment]::Version.Major -ne 10) {
        $dll = Join-Path $ModulePath 'HomeTunnel.PowerShell.dll'
        $stream = [IO.File]::OpenRead($dll)
        try { $header = [System.Reflection.PortableExecutable.PEReader]::new($stream).PEHeaders.CorHeader }
        finally { $stream.Dispose() }
        $header.ManagedNativeHeaderDirectory.Size | Should -BeGreaterThan 0 -Because 'a ReadyToRun image has a native header'
        # The same module with the IL the build compiled from (out/publish), each in a fresh pwsh of this runtime:
        # every method of the module's own that has a body made ready (RuntimeHelpers.PrepareMethod, which runs none
        # of them), counting the ones the runtime had to compile. An image the runtime refuses (as .NET 10 refuses
        # crossgen2 9's) would leave both counts alike.
        $ilModule = Join-Path $TestDrive 'il/HomeTunnel'
        $null = New-Item -ItemType Directory (Split-Path $ilModule)
        Copy-Item -Recurse $ModulePath $ilModule
        Copy-Item (Join-Path (Split-Path $ModulePath) 'publish/HomeTunnel.PowerShell.dll') $ilModule -Force
        # The dependencies every change or check runs are compiled the same way (build.ps1); their IL beside them too.
        $aheadDeps = 'NSec.Cryptography', 'DiffPlex', 'DnsClient', 'BCrypt-Net-Next'
        foreach ($d in $aheadDeps) { Copy-Item (Join-Path (Split-Path $ModulePath) "publish/$d.dll") (Join-Path $ilModule 'deps') -Force }
        $script = @'
Import-Module $args[0]
$flags = [System.Reflection.BindingFlags]'DeclaredOnly, Public, NonPublic, Instance, Static'
function Measure-Compiled([System.Reflection.Assembly[]] $Assemblies) {
    $methods = [System.Collections.Generic.List[System.Reflection.MethodInfo]]::new()
    foreach ($t in $Assemblies.GetTypes()) {
        if ($t.ContainsGenericParameters) { continue }
        foreach ($m in $t.GetMethods($flags)) { if (-not $m.IsAbstract -and -not $m.ContainsGenericParameters -and $m.GetMethodBody()) { $methods.Add($m) } }
    }
    [System.Runtime.CompilerServices.RuntimeHelpers]::PrepareMethod($methods[0].MethodHandle)
    $before = [System.Runtime.JitInfo]::GetCompiledMethodCount($false)
    foreach ($m in $methods) { [System.Runtime.CompilerServices.RuntimeHelpers]::PrepareMethod($m.MethodHandle) }
    "$([System.Runtime.JitInfo]::GetCompiledMethodCount($false) - $before) OF=$($methods.Count)"
}
"JIT=$(Measure-Compiled ([HomeTunnel.Hosts.AgentCall].Assembly))"
# Each loaded as the module loads it (its own load context, through the default context's resolving hook).
"DEPJIT=$(Measure-Compiled @($args[1].Split(',') | ForEach-Object { [System.Reflection.Assembly]::Load($_) }))"
'@
        $file = Join-Path $TestDrive 'jit.ps1'
        Set-Content -LiteralPath $file $script
        $pwsh = @(Get-PwshCommand)
        $rest = @($pwsh | Select-Object -Skip 1)
        $count = @{}; $depCount = @{}
        foreach ($m in @{ Shipped = $ModulePath; IL = $ilModule }.GetEnumerator()) {
            $out = & $pwsh[0] @rest -NoProfile -NonInteractive -File $file (Join-Path $m.Value 'HomeTunnel.psd1') ($aheadDeps -join ',') 2>&1 | Out-String
            $out | Should -Match '(?m)^JIT=\d+ OF=\d{4,}' -Because $out
            $out | Should -Match '(?m)^DEPJIT=\d+ OF=\d{3,}' -Because $out
            $count[$m.Key] = [int]([regex]::Match($out, '(?m)^JIT=(\d+)').Groups[1].Value)
            $depCount[$m.Key] = [int]([regex]::Match($out, '(?m)^DEPJIT=(\d+)').Groups[1].Value)
        }
        # Measured: 444 of 6,076 methods compiled at run time from the shipped file (crossgen2 leaves a few to the JIT),
        # 6,020 from the IL; of the four dependencies' 1,410 methods, 26 from the shipped files and 1,295 from their IL.
        $count.Shipped | Should -BeLessThan ($count.IL / 4) -Because "methods compiled at run time: shipped $($count.Shipped), IL only $($count.IL)"
        $depCount.Shipped | Should -BeLessThan ($depCount.IL / 4) -Because "the dependencies' methods compiled at run time: shipped $($depCount.Shipped), IL only $($depCount.IL)"
    }

    It 'installs with Install-PSResource into a fresh pwsh and runs the DESIGN.md pipeline offline' {
        $script = @"
`$ErrorActionPreference = 'Stop'
Register-PSResourceRepository -Name htlocal -Uri '$repo' -Trusted
Install-PSResource HomeTunnel -Repository htlocal -Scope CurrentUser -Quiet
Import-Module HomeTunnel
`$relayPeer = New-TunnelPeer -Name relay -Role Relay -Address 192.168.4.1/24 -ListenPort 51820 -Endpoint vps.example.com
`$homePeer = New-TunnelPeer -Name home -Role Home -Address 192.168.4.2/32 -PersistentKeepalive 25
`$relayConfig = New-WireGuardConfig -For `$relayPeer -Peer `$homePeer
`$homeConfig = New-WireGuardConfig -For `$homePeer -Peer `$relayPeer
`$site = `$homePeer | New-ApacheProxySite -ServerName site.example.com -Port 3000
"FINDINGS=`$(@(Test-TunnelConfig `$relayPeer, `$homePeer, `$relayConfig, `$homeConfig, `$site).Count)"
"FROM=`$((Get-Module HomeTunnel).ModuleBase)"
"SITE=`$(`$site.Text -match 'ProxyPass / http://192.168.4.2:3000/')"
"HELP=`$((Get-Help New-TunnelPeer).Synopsis)"
`$version = (Get-Module HomeTunnel).Version.ToString()
"ABOUT=`$((Get-Help about_HomeTunnel | Out-String).Contains("This topic is for HomeTunnel `$version."))"
# Updatable help from the build's out/help, as a release publishes it at HelpInfoURI.
Update-Help -Module HomeTunnel -SourcePath '$helpSource' -UICulture en-US -Force -Scope CurrentUser -ErrorAction Stop
"UPDATED=`$(@(Get-ChildItem -Recurse -Force -Path `$HOME -Filter 'HomeTunnel_*_HelpInfo.xml' -ErrorAction Ignore).Count)"
"AFTER=`$((Get-Help New-TunnelPeer).Synopsis)"
"@
        $pwsh = @(Get-PwshCommand)
        $rest = @($pwsh | Select-Object -Skip 1)
        $saved = $env:HOME
        try {
            $env:HOME = $home2
            $out = & $pwsh[0] @rest -NoProfile -NonInteractive -Command $script 2>&1 | Out-String
        }
        finally { $env:HOME = $saved }
        $out | Should -Match '(?m)^FINDINGS=0' -Because $out
        $out | Should -Match "(?m)^FROM=$([regex]::Escape($home2))"
        $out | Should -Match '(?m)^SITE=True'
        $out | Should -Match '(?m)^HELP=Makes one end of the tunnel'
        $out | Should -Match '(?m)^ABOUT=True' -Because 'the about topic names the version it documents'
        $out | Should -Match '(?m)^UPDATED=[1-9]' -Because "Update-Help installed the help with its HelpInfo: $out"
        $out | Should -Match '(?m)^AFTER=Makes one end of the tunnel'
    }
}
