<#
.SYNOPSIS
    Compiles the cmdlet pages in docs/en-US (platyPS markdown layout) into one MAML help file, so that
    Get-Help works offline. platyPS is not available here; this covers exactly the layout it writes:
    front matter, # Name, ## SYNOPSIS, ## SYNTAX, ## DESCRIPTION, ## EXAMPLES (### title, a fenced
    powershell block, remarks), ## PARAMETERS (### -Name, description, a yaml block), ## INPUTS,
    ## OUTPUTS (### Type, text), ## NOTES, ## RELATED LINKS ([text](uri) lines).
#>
param(
    [Parameter(Mandatory)] [string] $DocsPath,
    [Parameter(Mandatory)] [string] $OutputPath
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version 3.0

function Split-Section([string[]] $Lines, [string] $Prefix) {
    # Splits lines at headings that start with $Prefix ('## ' or '### '); returns ordered title → lines.
    $sections = [ordered]@{}
    $current = $null
    $inFence = $false
    foreach ($line in $Lines) {
        if ($line -match '^```') { $inFence = -not $inFence }
        if (-not $inFence -and $line.StartsWith($Prefix)) {
            $current = $line.Substring($Prefix.Length).Trim()
            $sections[$current] = [System.Collections.Generic.List[string]]::new()
            continue
        }
        if ($null -ne $current) { $sections[$current].Add($line) }
    }
    $sections
}

function Get-Paragraph([string[]] $Lines) {
    # Markdown text → paragraphs (blank-line separated; list items kept as their own lines).
    $paras = [System.Collections.Generic.List[string]]::new()
    $buffer = [System.Collections.Generic.List[string]]::new()
    foreach ($l in $Lines) {
        if ($l.Trim() -eq '') {
            if ($buffer.Count) { $paras.Add(($buffer -join "`n")); $buffer.Clear() }
        }
        else { $buffer.Add($l.TrimEnd()) }
    }
    if ($buffer.Count) { $paras.Add(($buffer -join "`n")) }
    $paras
}

function Get-Fence([string[]] $Lines) {
    # The first fenced block's body and the text outside fences.
    $code = [System.Collections.Generic.List[string]]::new(); $rest = [System.Collections.Generic.List[string]]::new()
    $state = 'before'
    foreach ($l in $Lines) {
        if ($l -match '^```') {
            $state = switch ($state) { 'before' { 'in' } 'in' { 'after' } default { 'after2' } }
            continue
        }
        if ($state -eq 'in') { $code.Add($l) } else { $rest.Add($l) }
    }
    [pscustomobject]@{ Code = ($code -join "`n"); Text = @($rest) }
}

function Read-Yaml([string] $Text) {
    $h = @{}
    foreach ($l in $Text -split "`n") {
        if ($l -match '^([A-Za-z ]+):\s*(.*)$') { $h[$Matches[1].Trim()] = $Matches[2].Trim() }
    }
    $h
}

$ns = @{
    msh = 'http://msh'; maml = 'http://schemas.microsoft.com/maml/2004/10'
    command = 'http://schemas.microsoft.com/maml/dev/command/2004/10'; dev = 'http://schemas.microsoft.com/maml/dev/2004/10'
}
$settings = [System.Xml.XmlWriterSettings]::new()
$settings.Indent = $true
$settings.Encoding = [System.Text.UTF8Encoding]::new($false)
$null = New-Item -ItemType Directory -Force (Split-Path $OutputPath -Parent)
$w = [System.Xml.XmlWriter]::Create($OutputPath, $settings)

function Write-Paras([string[]] $Paragraphs) {
    $w.WriteStartElement('maml', 'description', $ns.maml)
    foreach ($p in $Paragraphs) { $w.WriteElementString('maml', 'para', $ns.maml, $p) }
    $w.WriteEndElement()
}

function Write-Parameter($p, [bool] $InSyntax) {
    $w.WriteStartElement('command', 'parameter', $ns.command)
    $w.WriteAttributeString('required', $p.Required.ToLowerInvariant())
    $w.WriteAttributeString('variableLength', 'true')
    $w.WriteAttributeString('globbing', 'false')
    $w.WriteAttributeString('pipelineInput', $p.Pipeline)
    $w.WriteAttributeString('position', $(if ($p.Position -match '^\d+$') { ([int]$p.Position + 1).ToString() } else { 'named' }))
    $w.WriteAttributeString('aliases', $(if ($p.Aliases) { $p.Aliases } else { 'none' }))
    $w.WriteElementString('maml', 'name', $ns.maml, $p.Name)
    Write-Paras $p.Description
    if ($p.Type -ne 'SwitchParameter') {
        $w.WriteStartElement('command', 'parameterValue', $ns.command)
        $w.WriteAttributeString('required', 'true'); $w.WriteAttributeString('variableLength', 'false')
        $w.WriteString($p.Type); $w.WriteEndElement()
    }
    if (-not $InSyntax) {
        $w.WriteStartElement('dev', 'type', $ns.dev); $w.WriteElementString('maml', 'name', $ns.maml, $p.Type); $w.WriteEndElement()
        $w.WriteElementString('dev', 'defaultValue', $ns.dev, $p.Default)
    }
    $w.WriteEndElement()
}

$w.WriteStartDocument()
$w.WriteStartElement('helpItems', $ns.msh)
$w.WriteAttributeString('schema', 'maml')
foreach ($file in Get-ChildItem $DocsPath -Filter '*-*.md' | Sort-Object Name) {
    $lines = Get-Content -LiteralPath $file.FullName
    $name = ($lines | Where-Object { $_ -match '^# ' } | Select-Object -First 1).Substring(2).Trim()
    $s = Split-Section $lines '## '
    foreach ($required in 'SYNOPSIS', 'DESCRIPTION', 'EXAMPLES', 'PARAMETERS', 'INPUTS', 'OUTPUTS', 'RELATED LINKS') {
        if (-not $s.Contains($required)) { throw "$($file.Name): no '## $required' section." }
    }
    $verb, $noun = $name -split '-', 2

    # Parameters first: the syntax is built from their sets.
    $params = foreach ($entry in (Split-Section $s['PARAMETERS'] '### ').GetEnumerator()) {
        if ($entry.Key -eq 'CommonParameters') { continue }
        $f = Get-Fence $entry.Value
        $y = Read-Yaml $f.Code
        [pscustomobject]@{
            Name = $entry.Key.TrimStart('-'); Description = @(Get-Paragraph $f.Text); Type = $y['Type']
            Sets = @(($y['Parameter Sets'] -split ',') | ForEach-Object Trim); Aliases = $y['Aliases']
            Required = $y['Required']; Position = $y['Position']; Default = $y['Default value']
            Pipeline = if ($y['Accept pipeline input']) { $y['Accept pipeline input'] } else { 'False' }
        }
    }

    # -WhatIf and -Confirm are common to every cmdlet that supports ShouldProcess: the pages show them in
    # SYNTAX only, and the help gets them here, so Get-Help -Parameter WhatIf and the syntax have them.
    if (($s['SYNTAX'] -join "`n") -match '\[-WhatIf\]') {
        $params = @($params) + @(
            [pscustomobject]@{ Name = 'WhatIf'; Description = @('Shows what would change, and changes nothing.'); Type = 'SwitchParameter'; Sets = @('(All)'); Aliases = 'wi'; Required = 'False'; Position = 'Named'; Default = 'False'; Pipeline = 'False' }
            [pscustomobject]@{ Name = 'Confirm'; Description = @('Asks before each change.'); Type = 'SwitchParameter'; Sets = @('(All)'); Aliases = 'cf'; Required = 'False'; Position = 'Named'; Default = 'False'; Pipeline = 'False' }
        )
    }

    $w.WriteStartElement('command', 'command', $ns.command)
    $w.WriteAttributeString('xmlns', 'maml', $null, $ns.maml)
    $w.WriteAttributeString('xmlns', 'dev', $null, $ns.dev)
    $w.WriteStartElement('command', 'details', $ns.command)
    $w.WriteElementString('command', 'name', $ns.command, $name)
    $w.WriteElementString('command', 'verb', $ns.command, $verb)
    $w.WriteElementString('command', 'noun', $ns.command, $noun)
    Write-Paras (Get-Paragraph $s['SYNOPSIS'])
    $w.WriteEndElement()
    Write-Paras (Get-Paragraph $s['DESCRIPTION'])

    $w.WriteStartElement('command', 'syntax', $ns.command)
    $sets = @($params.Sets | Where-Object { $_ -ne '(All)' } | Select-Object -Unique)
    if (-not $sets) { $sets = @('(All)') }
    foreach ($set in $sets) {
        $w.WriteStartElement('command', 'syntaxItem', $ns.command)
        $w.WriteElementString('maml', 'name', $ns.maml, $name)
        foreach ($p in $params | Where-Object { $_.Sets -contains $set -or $_.Sets -contains '(All)' }) {
            $required = ($p.Required -split ',')[0]
            Write-Parameter ([pscustomobject]@{ Name = $p.Name; Description = @(); Type = $p.Type; Required = $required; Position = $p.Position; Aliases = $p.Aliases; Pipeline = $p.Pipeline; Default = $p.Default }) $true
        }
        $w.WriteEndElement()
    }
    $w.WriteEndElement()

    $w.WriteStartElement('command', 'parameters', $ns.command)
    foreach ($p in $params) { Write-Parameter $p $false }
    $w.WriteEndElement()

    foreach ($kind in @(@('INPUTS', 'inputTypes', 'inputType'), @('OUTPUTS', 'returnValues', 'returnValue'))) {
        $w.WriteStartElement('command', $kind[1], $ns.command)
        foreach ($entry in (Split-Section $s[$kind[0]] '### ').GetEnumerator()) {
            $w.WriteStartElement('command', $kind[2], $ns.command)
            $w.WriteStartElement('dev', 'type', $ns.dev); $w.WriteElementString('maml', 'name', $ns.maml, $entry.Key); $w.WriteEndElement()
            Write-Paras (Get-Paragraph $entry.Value)
            $w.WriteEndElement()
        }
        $w.WriteEndElement()
    }

    if ($s.Contains('NOTES')) {
        $w.WriteStartElement('maml', 'alertSet', $ns.maml)
        $w.WriteStartElement('maml', 'alert', $ns.maml)
        foreach ($p in Get-Paragraph $s['NOTES']) { $w.WriteElementString('maml', 'para', $ns.maml, $p) }
        $w.WriteEndElement(); $w.WriteEndElement()
    }

    $w.WriteStartElement('command', 'examples', $ns.command)
    foreach ($entry in (Split-Section $s['EXAMPLES'] '### ').GetEnumerator()) {
        $f = Get-Fence $entry.Value
        $w.WriteStartElement('command', 'example', $ns.command)
        $w.WriteElementString('maml', 'title', $ns.maml, "--------- $($entry.Key) ---------")
        $w.WriteElementString('dev', 'code', $ns.dev, $f.Code)
        $w.WriteStartElement('dev', 'remarks', $ns.dev)
        foreach ($p in Get-Paragraph $f.Text) { $w.WriteElementString('maml', 'para', $ns.maml, $p) }
        $w.WriteEndElement()
        $w.WriteEndElement()
    }
    $w.WriteEndElement()

    # Get-Help -Online opens the first related link's URI: the page's 'online version' goes first.
    $w.WriteStartElement('command', 'relatedLinks', $ns.command)
    $online = ($lines | Where-Object { $_ -match '^online version:\s*(https?://\S+)' } | Select-Object -First 1) -replace '^online version:\s*', ''
    $links = [System.Collections.Generic.List[object]]::new()
    if ($online) { $links.Add(@('Online Version:', $online)) }
    foreach ($l in $s['RELATED LINKS']) {
        if ($l -match '^\[(.+?)\]\((.*?)\)') {
            $text, $target = $Matches[1], $Matches[2]
            if ($target -eq $online) { continue }
            $links.Add(@($text, $(if ($target -match '^https?://') { $target } else { '' })))
        }
    }
    foreach ($link in $links) {
        $w.WriteStartElement('maml', 'navigationLink', $ns.maml)
        $w.WriteElementString('maml', 'linkText', $ns.maml, $link[0])
        $w.WriteElementString('maml', 'uri', $ns.maml, $link[1])
        $w.WriteEndElement()
    }
    $w.WriteEndElement()
    $w.WriteEndElement()
}
$w.WriteEndElement()
$w.WriteEndDocument()
$w.Dispose()
