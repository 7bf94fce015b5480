# Multi-stage build of the NGSI-LD broker; runs on port 1026 with the embedded store in a volume.
# It listens on every address, so it starts only with authentication configured (Security__Jwt__Authority and
# Security__Jwt__Audience, or Security__ApiKeys__0__...) or with Security__AllowAnonymous=true (README, "Security").
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY . .
RUN dotnet publish src/Broker/Broker.csproj -c Release -o /app

FROM mcr.microsoft.com/dotnet/aspnet:10.0
WORKDIR /app
COPY --from=build /app .
ENV ASPNETCORE_URLS=http://+:1026 \
    Storage__Provider=Embedded \
    Storage__DataPath=/data
VOLUME /data
EXPOSE 1026
ENTRYPOINT ["dotnet", "Broker.dll"]
