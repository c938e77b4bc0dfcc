# TempBalance.Web container (Ubuntu 24.04 based .NET 10 images; their libstdc++ needs no TorchSharp fix).
#
# CPU:   docker build -t tempbalance .
#        docker run -p 8080:8080 -v tempbalance-data:/data tempbalance
# GPU:   docker build --build-arg TORCH_BACKEND=cuda -t tempbalance:cuda .
#        docker run --gpus all -p 8080:8080 -v tempbalance-data:/data tempbalance:cuda
#        (needs the NVIDIA driver and nvidia-container-toolkit on the host; the TorchSharp-cuda-linux
#        packages bring the CUDA runtime libraries, so the base image stays the plain aspnet one.)
# A container listens on every interface, so it has accounts (TempBalance__Auth__Mode=local): give the first
# admin with -e TempBalance__Auth__AdminEmail=... -e TempBalance__Auth__AdminPassword=..., or open the
# one-time set-up link the log prints (docker logs). Open http://localhost:8080; the health check is /health.

ARG TORCH_BACKEND=cpu

FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
ARG TORCH_BACKEND
WORKDIR /src
# Restore first, from the project files alone, so the large libtorch packages stay in a cached layer.
COPY global.json Directory.Build.props Directory.Build.targets Directory.Packages.props ./
COPY build/ build/
COPY src/TempBalance.Core/TempBalance.Core.csproj src/TempBalance.Core/
COPY src/TempBalance.Web/TempBalance.Web.csproj src/TempBalance.Web/
RUN dotnet restore src/TempBalance.Web/TempBalance.Web.csproj -r linux-x64 -p:TorchBackend=$TORCH_BACKEND
COPY . .
RUN dotnet publish src/TempBalance.Web/TempBalance.Web.csproj -c Release --no-restore \
        -r linux-x64 --self-contained false -p:TorchBackend=$TORCH_BACKEND -o /app

FROM mcr.microsoft.com/dotnet/aspnet:10.0 AS runtime
# curl for the health check; Fashion-MNIST so the first run works without downloads.
RUN apt-get update \
    && apt-get install -y --no-install-recommends curl dataset-fashion-mnist \
    && rm -rf /var/lib/apt/lists/*
RUN mkdir -p /data && chown "$APP_UID" /data
WORKDIR /app
COPY --from=build /app .
ENV ASPNETCORE_HTTP_PORTS=8080 \
    TempBalance__DataDirectory=/data \
    TempBalance__Auth__Mode=local \
    TEMPBALANCE_DATA_ROOT=/data/datasets
VOLUME /data
EXPOSE 8080
# The image's non-root user (APP_UID is set by the .NET base images).
USER $APP_UID
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD curl -fsS http://localhost:8080/health || exit 1
ENTRYPOINT ["dotnet", "TempBalance.Web.dll"]
