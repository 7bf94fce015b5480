# Multi-stage build of the NGSI-LD broker; runs on port 1026 with the embedded store in a volume.
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
