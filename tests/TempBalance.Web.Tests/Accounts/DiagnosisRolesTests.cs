using System.Net;
using TempBalance.Web.Tests.Backend;

namespace TempBalance.Web.Tests.Accounts;

/// <summary>Diagnoses with accounts: viewers read, researchers upload and delete their own, admins delete any.</summary>
public sealed class DiagnosisRolesTests(LocalAccountsApp app) : IClassFixture<LocalAccountsApp>
{
    [Fact]
    public async Task Viewers_read_researchers_upload_and_delete_their_own_and_admins_any()
    {
        using (var anonymous = await app.Anonymous.GetAsync("/api/diagnoses")) Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        using (var anonymousUpload = await app.Anonymous.PostAsync("/api/diagnoses", DiagnosisFiles.Form("model.safetensors")))
            Assert.Equal(HttpStatusCode.Unauthorized, anonymousUpload.StatusCode);
        using (var viewerUpload = await app.Viewer.Client.PostAsync("/api/diagnoses", DiagnosisFiles.Form("model.safetensors")))
        {
            Assert.Equal(HttpStatusCode.Forbidden, viewerUpload.StatusCode);
            Assert.Equal("application/problem+json", viewerUpload.Content.Headers.ContentType?.MediaType);
        }

        var alices = await app.Alice.Client.UploadAsync(DiagnosisFiles.Form("model.safetensors"));
        var bobs = await app.Bob.Client.UploadAsync(DiagnosisFiles.Form("half.safetensors"));
        var seen = await app.Viewer.Client.WaitForDiagnosisAsync(alices);
        await app.Viewer.Client.WaitForDiagnosisAsync(bobs);
        Assert.Equal(app.Alice.Email, seen.Summary.CreatedBy);
        Assert.Equal(app.Alice.UserId, seen.Summary.CreatedByUserId);

        using (var byViewer = await app.Viewer.Client.DeleteAsync($"/api/diagnoses/{alices}")) Assert.Equal(HttpStatusCode.Forbidden, byViewer.StatusCode);
        using (var byBob = await app.Bob.Client.DeleteAsync($"/api/diagnoses/{alices}"))
        {
            Assert.Equal(HttpStatusCode.Forbidden, byBob.StatusCode);
            Assert.Contains("created by someone else", await byBob.Content.ReadAsStringAsync());
        }
        using (var byAlice = await app.Alice.Client.DeleteAsync($"/api/diagnoses/{alices}")) Assert.Equal(HttpStatusCode.NoContent, byAlice.StatusCode);
        using (var byAdmin = await app.Admin.Client.DeleteAsync($"/api/diagnoses/{bobs}")) Assert.Equal(HttpStatusCode.NoContent, byAdmin.StatusCode);
    }
}
