using System.Management.Automation;

namespace HomeTunnel.Cmdlets;

/// <summary>
/// Import hooks the dependency resolver (the module initializer also does, before any type is touched);
/// Remove-Module unhooks it. A re-import of the already loaded assembly hooks it again.
/// </summary>
public sealed class ModuleCleanup : IModuleAssemblyInitializer, IModuleAssemblyCleanup
{
    public void OnImport() => DependencyLoadContext.Register();

    public void OnRemove(PSModuleInfo psModuleInfo) => DependencyLoadContext.Unregister();
}
