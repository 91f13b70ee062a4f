# ---------------------------------------------------------------- Apache

function Test-ApacheRunning {
    # .NET only: this is on the no-op path, where loading the Management module would cost more than the rest.
    $pidFile = '/run/apache2/apache2.pid'
    if (-not [System.IO.File]::Exists($pidFile)) { return $false }
    $text = try { [System.IO.File]::ReadAllText($pidFile).Trim() } catch { '' }
    $text -match '^\d+$' -and [System.IO.Directory]::Exists("/proc/$text")
}

function Test-ApacheAtBoot {
    # On systemd: is apache2.service wanted at boot? (.NET only, like Test-ApacheRunning.) Elsewhere: not ours to say.
    if (-not (Test-Systemd)) { return $null }
    [System.IO.File]::Exists('/etc/systemd/system/multi-user.target.wants/apache2.service')
}

function Test-ApacheConfig {
    $r = Invoke-Native apache2ctl @('configtest') -AllowFailure
    [pscustomobject]@{ Ok = $r.ExitCode -eq 0; Output = ($r.Err + $r.Out).Trim() }
}

function Get-EnabledSiteNames([string] $Etc, [string[]] $Except) {
    # The other enabled sites' ServerName and ServerAlias lines, as they stand: only these lines leave the host,
    # never the rest of a file's text; the module reads the names from them with its own reader.
    foreach ($file in [System.IO.Directory]::GetFiles("$Etc/sites-enabled")) {
        if ([System.IO.Path]::GetFileName($file) -in $Except) { continue }
        $text = try { [System.IO.File]::ReadAllText($file) } catch { '' }
        $lines = foreach ($m in [regex]::Matches($text, '(?im)^[ \t]*Server(?:Name|Alias)[ \t][^\r\n]*')) { $m.Value.Trim() }
        @{ File = $file; Lines = (@($lines) -join "`n") }
    }
}

function Get-ApacheFacts($Req) {
    $etc = '/etc/apache2'
    # The shape of Hosts/Contract/ApacheFacts.cs, every member every time.
    $sites = foreach ($s in $Req.Sites) {
        $available = "$etc/sites-available/$($s.FileName)"
        $enabledPath = "$etc/sites-enabled/$($s.FileName)"
        $enabled = [System.IO.File]::Exists($enabledPath)
        @{
            FileName = $s.FileName; Path = $available; Current = (Read-HostFile $available); Enabled = $enabled
            EnabledTarget = $(if ($enabled) { "$([System.IO.FileInfo]::new($enabledPath).LinkTarget)" } else { '' })
            PasswordCurrent = $(if ($s.PasswordPath) { Read-HostFile $s.PasswordPath } else { $null })
            # A DNS-01 key file holds a secret: only its digest and whether it is HomeTunnel's leave the host.
            AcmeKey = $(if ($s.AcmeKeyPath) { Get-SecretFileFact $s.AcmeKeyPath ([string]$Req.Marker) } else { $null })
        }
    }
    $modules = @(foreach ($f in [System.IO.Directory]::GetFiles("$etc/mods-enabled", '*.load')) { [System.IO.Path]::GetFileNameWithoutExtension($f) })
    @{
        Sites = @($sites); Modules = $modules; Running = (Test-ApacheRunning); AtBoot = (Test-ApacheAtBoot)
        Tunnel = $(if (-not $Req.Uninstall) { Get-WgPeerText } else { $null })
        OtherSites = @(Get-EnabledSiteNames $etc @($Req.Sites | ForEach-Object { $_.FileName }))
        Hook = $(if ($Req.HookPath) { Read-HostFile $Req.HookPath } else { $null })
        Nsupdate = $(if ($Req.HookPath) { Test-Tool 'nsupdate' } else { $null })
    }
}

function Get-SecretFileFact([string] $Path, [string] $Marker) {
    $text = Read-HostFile $Path
    if ($null -eq $text) { return $null }
    @{
        Digest = [System.Convert]::ToHexString([System.Security.Cryptography.SHA256]::HashData([System.Text.UTF8Encoding]::new($false).GetBytes($text)))
        Ours   = $Marker.Length -gt 0 -and $text.StartsWith($Marker, [System.StringComparison]::Ordinal)
    }
}

function Get-ApacheFingerprint($F) {
    $parts = [System.Collections.Generic.List[string]]::new()
    foreach ($s in $F.Sites) { $parts.Add("$($s.Path)|$($null -eq $s.Current)|$($s.Current)|$($s.Enabled)|$($s.EnabledTarget)|$($null -eq $s.PasswordCurrent)|$($s.PasswordCurrent)|$(if ($s.AcmeKey) { "$($s.AcmeKey.Digest)|$($s.AcmeKey.Ours)" })") }
    $modules = [string[]]@($F.Modules); [System.Array]::Sort($modules, [System.StringComparer]::Ordinal)
    $parts.Add($modules -join ','); $parts.Add("$($F.Running)|$($F.AtBoot)|$($null -eq $F.Hook)|$($F.Hook)|$($F.Nsupdate)")
    foreach ($o in $F.OtherSites) { $parts.Add("$($o.File)=$($o.Lines)") }
    Get-Fingerprint $parts.ToArray()
}

function Set-SitePasswordFile($Site) {
    # The htpasswd file behind a site's door: 0640 root:www-data (Apache's workers read it per request).
    # The plan holds only a bcrypt hash; the actions name the file, never its content.
    if (-not $Site.PasswordChanged) { return }
    if ($null -eq $Site.PasswordText) {
        Remove-HostFile $Site.PasswordPath; $script:Actions.Add("removed $($Site.PasswordPath)")
        return
    }
    $dir = [System.IO.Path]::GetDirectoryName($Site.PasswordPath)
    if (-not [System.IO.Directory]::Exists($dir)) { Invoke-Native install @('-d', '-m', '0755', '-o', 'root', '-g', 'root', $dir) | Out-Null }
    Write-HostFileAtomic $Site.PasswordPath $Site.PasswordText '0640' 'www-data'
    $script:Actions.Add("wrote $($Site.PasswordPath)")
}

function Set-SiteAcmeKey($Site, $Saved) {
    # A DNS-01 site's TSIG key file: 0600, owned by Apache's user (mod_md runs the hook as it). The key's old text is
    # kept in this process only, for a rollback; the actions name the file, never its content.
    if (-not $Site.AcmeKeyChanged) { return }
    $Saved[$Site.AcmeKeyPath] = Read-HostFile $Site.AcmeKeyPath
    if ($null -eq $Site.AcmeKeyText) {
        Remove-HostFile $Site.AcmeKeyPath; $script:Actions.Add("removed $($Site.AcmeKeyPath)")
        return
    }
    $dir = [System.IO.Path]::GetDirectoryName($Site.AcmeKeyPath)
    if (-not [System.IO.Directory]::Exists($dir)) { Invoke-Native install @('-d', '-m', '0755', '-o', 'root', '-g', 'root', $dir) | Out-Null }
    Write-HostFileAtomic $Site.AcmeKeyPath $Site.AcmeKeyText '0600' $Site.AcmeKeyUser $Site.AcmeKeyUser
    $script:Actions.Add("wrote $($Site.AcmeKeyPath)")
}

function Set-AcmeHook($Plan) {
    # HomeTunnel's DNS-01 hook, one for every site: root's, 0755 (mod_md runs it; nobody but root may change it).
    if (-not $Plan.HookChanged) { return }
    $dir = [System.IO.Path]::GetDirectoryName($Plan.HookPath)
    if (-not [System.IO.Directory]::Exists($dir)) { Invoke-Native install @('-d', '-m', '0755', '-o', 'root', '-g', 'root', $dir) | Out-Null }
    Write-HostFileAtomic $Plan.HookPath $Plan.HookText '0755'
    $script:Actions.Add("wrote $($Plan.HookPath)")
}

function Invoke-ApacheApply($Req, $Plan) {
    $before = Test-ApacheConfig
    if (-not $before.Ok) {
        throw (New-AgentError 'ApacheConfigBroken' "The host's Apache config is already broken; nothing was changed. Fix it first: $($before.Output)" 'apache2ctl configtest' $before.Output)
    }
    $enabledModules = [System.Collections.Generic.List[string]]::new()
    $touched = [System.Collections.Generic.List[object]]::new()
    # a2enmod also enables dependencies (ssl brings socache_shmcb): remember the folder, not just our list.
    $modsBefore = @(Get-FolderNames /etc/apache2/mods-enabled)
    $savedKeys = @{}
    try {
        if (-not $Req.Uninstall) {
            Set-AcmeHook $Plan
            # Every module the changed sites miss, in one a2enmod (a perl start each costs more than the rest of it).
            foreach ($site in @($Plan.Sites | Where-Object { $_.Changed })) {
                foreach ($m in @($site.MissingModules)) { if ($m -and $m -notin $enabledModules) { $enabledModules.Add($m) } }
            }
            if ($enabledModules.Count -gt 0) {
                Invoke-Native a2enmod (@('-q') + $enabledModules) | Out-Null
                foreach ($m in $enabledModules) { $script:Actions.Add("a2enmod $m") }
            }
        }
        foreach ($site in @($Plan.Sites | Where-Object { $_.Changed })) {
            $touched.Add($site)
            if ($Req.Uninstall) {
                if ($site.Enabled) { Invoke-Native a2dissite @('-q', $site.FileName) | Out-Null; $script:Actions.Add("a2dissite $($site.FileName)") }
                if ($null -ne $site.Current) { Remove-HostFile $site.Path; $script:Actions.Add("removed $($site.Path)") }
                Set-SitePasswordFile $site
                Set-SiteAcmeKey $site $savedKeys
                continue
            }
            Set-SitePasswordFile $site
            Set-SiteAcmeKey $site $savedKeys
            $want = ($Req.Sites | Where-Object { $_.FileName -eq $site.FileName }).Text
            if ($site.Current -cne $want) { Write-HostFileAtomic $site.Path $want '0644'; $script:Actions.Add("wrote $($site.Path)") }
            if (-not $site.Enabled) { Invoke-Native a2ensite @('-q', $site.FileName) | Out-Null; $script:Actions.Add("a2ensite $($site.FileName)") }
        }
        $after = Test-ApacheConfig
        if (-not $after.Ok) {
            throw (New-AgentError 'ConfigTestFailed' "apache2ctl configtest failed with the new site; the previous files and enabled state were put back. $($after.Output)" 'apache2ctl configtest' $after.Output)
        }
    }
    catch {
        foreach ($site in $touched) {
            $name = $site.FileName
            if ($null -eq $site.Current) { Remove-HostFile $site.Path } else { Write-HostFileAtomic $site.Path $site.Current '0644' }
            if ($site.PasswordChanged) {
                if ($null -eq $site.PasswordCurrent) { Remove-HostFile $site.PasswordPath } else { Write-HostFileAtomic $site.PasswordPath $site.PasswordCurrent '0640' 'www-data' }
            }
            if ($site.AcmeKeyChanged -and $savedKeys.ContainsKey($site.AcmeKeyPath)) {
                $old = $savedKeys[$site.AcmeKeyPath]
                if ($null -eq $old) { Remove-HostFile $site.AcmeKeyPath } else { Write-HostFileAtomic $site.AcmeKeyPath $old '0600' $site.AcmeKeyUser $site.AcmeKeyUser }
            }
            $isEnabled = [System.IO.File]::Exists("/etc/apache2/sites-enabled/$name") -or [System.IO.FileInfo]::new("/etc/apache2/sites-enabled/$name").LinkTarget
            if ($site.Enabled -and -not $isEnabled) { Invoke-Native a2ensite @('-q', $name) -AllowFailure | Out-Null }
            if (-not $site.Enabled -and $isEnabled) { Invoke-Native a2dissite @('-q', $name) -AllowFailure | Out-Null }
        }
        $added = @(Get-FolderNames /etc/apache2/mods-enabled | Where-Object { $_ -notin $modsBefore })
        foreach ($m in @($added | Where-Object { $_ -like '*.load' } | ForEach-Object { $_ -replace '\.load$', '' })) { Invoke-Native a2dismod @('-q', '-f', $m) -AllowFailure | Out-Null }
        foreach ($f in @(Get-FolderNames /etc/apache2/mods-enabled | Where-Object { $_ -notin $modsBefore })) { Remove-HostFile "/etc/apache2/mods-enabled/$f" }
        if ($Plan.HookChanged -and -not $Req.Uninstall) {
            if ($null -eq $Plan.HookCurrent) { Remove-HostFile $Plan.HookPath } else { Write-HostFileAtomic $Plan.HookPath $Plan.HookCurrent '0755' }
        }
        $script:Actions.Add('rolled back')
        throw
    }
    # mod_md's certificate job starts only when Apache starts with mod_md loaded: a graceful reload that
    # first loads it never runs it. Newly loading md therefore takes a full restart, once.
    $pidFile = '/run/apache2/apache2.pid'
    $running = Test-ApacheRunning
    if ($enabledModules -contains 'md' -and $running) {
        Invoke-Native apache2ctl @('stop') | Out-Null
        $deadline = [DateTime]::UtcNow.AddSeconds(15)
        while ([System.IO.File]::Exists($pidFile) -and [DateTime]::UtcNow -lt $deadline) { [System.Threading.Thread]::Sleep(100) }
        Invoke-Native apache2ctl @('start') | Out-Null
        $script:Actions.Add('apache2ctl stop/start (mod_md newly loaded)')
    }
    elseif ($running) {
        # apache2ctl's own "graceful" runs the config test again first; the one above just passed, under the host lock.
        Invoke-Native apache2ctl @('-k', 'graceful') | Out-Null
        $script:Actions.Add('apache2ctl graceful')
    }
    else {
        Invoke-Native apache2ctl @('start') | Out-Null
        $script:Actions.Add('apache2ctl start')
    }
    if (-not $Req.Uninstall -and $Plan.AtBoot -eq $false) {
        Invoke-Native systemctl @('enable', 'apache2') | Out-Null
        $script:Actions.Add('systemctl enable apache2')
    }
    if ($Req.Uninstall) { 'Removed' } elseif ($touched.Count -gt 0 -and @($touched | Where-Object { $null -eq $_.Current }).Count -eq $touched.Count) { 'Created' } else { 'Changed' }
}

