<#
.SYNOPSIS
    Writes docs/en-US/<Cmdlet>.md in the platyPS layout for a cmdlet of the built module: the syntax and
    each parameter's facts (type, sets, position, pipeline input) come from the cmdlet itself; the prose
    comes from -Prose, or is left as {{ Fill ... }} placeholders that the help test refuses.
.EXAMPLE
    ./tools/New-HelpPage.ps1 -ModulePath ./out/HomeTunnel -Name Get-TunnelStatus
#>
param(
    [Parameter(Mandatory)] [string] $ModulePath,
    [Parameter(Mandatory)] [string] $Name,
    [hashtable] $Prose = @{},
    [string] $DocsPath = (Join-Path $PSScriptRoot '../docs/en-US'),
    [switch] $Force
)

$ErrorActionPreference = 'Stop'
Import-Module $ModulePath
$command = Get-Command $Name -Module HomeTunnel
$page = Join-Path $DocsPath "$Name.md"
if ((Test-Path $page) -and -not $Force) { throw "$page exists; use -Force to overwrite it." }

$common = [System.Management.Automation.PSCmdlet]::CommonParameters + [System.Management.Automation.PSCmdlet]::OptionalCommonParameters
function Fill([string] $What) { "{{ Fill $What }}" }
function TypeName([type] $t) {
    if ($t.IsGenericType -and $t.GetGenericTypeDefinition() -eq [Nullable`1]) { $t = $t.GetGenericArguments()[0] }
    $t.Name
}

$sb = [System.Text.StringBuilder]::new()
function Line([string] $Text = '') { $null = $sb.Append($Text).Append("`n") }

Line '---'
Line 'external help file: HomeTunnel.PowerShell.dll-Help.xml'
Line 'Module Name: HomeTunnel'
Line "online version: https://github.com/hometunnel/HomeTunnel/blob/main/docs/en-US/$Name.md"
Line 'schema: 2.0.0'
Line '---'
Line
Line "# $Name"
Line
Line '## SYNOPSIS'
Line ($(if ($Prose.Synopsis) { $Prose.Synopsis } else { Fill 'in the Synopsis' }))
Line
Line '## SYNTAX'
foreach ($set in $command.ParameterSets) {
    Line
    if ($command.ParameterSets.Count -gt 1) { Line "### $($set.Name)$(if ($set.IsDefault) { ' (Default)' })"; Line }
    Line '```'
    Line "$Name $($set.ToString())"
    Line '```'
}
Line
Line '## DESCRIPTION'
Line ($(if ($Prose.Description) { $Prose.Description.Trim() } else { Fill 'in the Description' }))
Line
Line '## EXAMPLES'
$examples = @(if ($Prose.Examples) { $Prose.Examples } else { @{ Title = 'Example 1'; Code = Fill 'in an example'; Remarks = Fill 'in what it shows' } })
$i = 0
foreach ($e in $examples) {
    $i++
    Line
    Line "### Example ${i}: $($e.Title)"
    Line
    Line '```powershell'
    Line $e.Code.Trim()
    Line '```'
    Line
    Line $e.Remarks.Trim()
}
Line
Line '## PARAMETERS'
$params = $command.Parameters.Values | Where-Object { $_.Name -notin $common }
foreach ($p in $params) {
    Line
    Line "### -$($p.Name)"
    Line
    $text = if ($Prose.Parameters -and $Prose.Parameters[$p.Name]) { $Prose.Parameters[$p.Name].Trim() } else { Fill "$($p.Name) Description" }
    Line $text
    Line
    $sets = @($p.ParameterSets.Keys)
    $attrs = @($p.ParameterSets.Values)
    $allSets = $sets -contains '__AllParameterSets' -or $sets.Count -eq $command.ParameterSets.Count
    $pipeline = @()
    if ($attrs | Where-Object ValueFromPipeline) { $pipeline += 'ByValue' }
    if ($attrs | Where-Object ValueFromPipelineByPropertyName) { $pipeline += 'ByPropertyName' }
    $position = ($attrs | Where-Object { $_.Position -ge 0 } | Select-Object -First 1).Position
    $default = if ($Prose.Defaults -and $Prose.Defaults.ContainsKey($p.Name)) { $Prose.Defaults[$p.Name] } elseif ($p.SwitchParameter) { 'False' } else { 'None' }
    Line '```yaml'
    Line "Type: $(TypeName $p.ParameterType)"
    Line "Parameter Sets: $(if ($allSets) { '(All)' } else { $sets -join ', ' })"
    Line "Aliases: $($p.Aliases -join ', ')"
    $values = @($p.Attributes | Where-Object { $_ -is [System.Management.Automation.ValidateSetAttribute] } | ForEach-Object ValidValues)
    if ($p.ParameterType.IsEnum) { $values = [enum]::GetNames($p.ParameterType) }
    if ($values) { Line "Accepted values: $($values -join ', ')" }
    Line
    Line "Required: $(if ($attrs | Where-Object IsMandatory) { if (@($attrs | Where-Object { -not $_.IsMandatory }).Count) { 'True (' + (($p.ParameterSets.GetEnumerator() | Where-Object { $_.Value.IsMandatory }).Key -join ', ') + '), False (others)' } else { 'True' } } else { 'False' })"
    Line "Position: $(if ($null -ne $position) { $position } else { 'Named' })"
    Line "Default value: $default"
    Line "Accept pipeline input: $(if ($pipeline) { 'True (' + ($pipeline -join ', ') + ')' } else { 'False' })"
    Line 'Accept wildcard characters: False'
    Line '```'
}
Line
Line '### CommonParameters'
Line
Line 'This cmdlet supports the common parameters: -Debug, -ErrorAction, -ErrorVariable, -InformationAction, -InformationVariable, -OutBuffer, -OutVariable, -PipelineVariable, -ProgressAction, -Verbose, -WarningAction, and -WarningVariable. For more information, see [about_CommonParameters](https://go.microsoft.com/fwlink/?LinkID=113216).'
Line
foreach ($section in @(@('INPUTS', 'Inputs'), @('OUTPUTS', 'Outputs'))) {
    Line "## $($section[0])"
    $entries = $Prose[$section[1]]
    if (-not $entries) { $entries = [ordered]@{ (Fill $section[1]) = '' } }
    foreach ($k in $entries.Keys) {
        Line
        Line "### $k"
        Line
        Line $entries[$k].Trim()
    }
    Line
}
Line '## NOTES'
Line
Line ($(if ($Prose.Notes) { $Prose.Notes.Trim() } else { '' }))
Line
Line '## RELATED LINKS'
Line
foreach ($l in @($Prose.Links)) { if ($l) { Line "[$l]($l.md)"; Line } }
Line "[Online version](https://github.com/hometunnel/HomeTunnel/blob/main/docs/en-US/$Name.md)"

$null = New-Item -ItemType Directory -Force $DocsPath
Set-Content -LiteralPath $page -Value $sb.ToString().TrimEnd() -Encoding utf8NoBOM
Get-Item $page
