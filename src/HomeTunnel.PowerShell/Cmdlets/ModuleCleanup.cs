using System.Management.Automation;

namespace HomeTunnel.Cmdlets;

/// <summary>Remove-Module unhooks the dependency resolver (the module initializer hooked it on load).</summary>
public sealed class ModuleCleanup : IModuleAssemblyCleanup
{
    public void OnRemove(PSModuleInfo psModuleInfo) => DependencyLoadContext.Unregister();
}
