"use client";
import { useCallback, useEffect, useRef, useState } from "react";
import type { Socket } from "socket.io-client";
import { errorMessage, isUnauthorized, trpc, type ContainerSummary, type ImageSummary } from "../lib/trpc";
import { connectSocket, SOCKET } from "../lib/socket";
import { ImagesTable } from "./ImagesTable";
import { RunForm } from "./RunForm";
import { ContainersTable } from "./ContainersTable";
import { LogPanel } from "./LogPanel";
import { RepoSearch } from "./RepoSearch";
import { PasswordForm } from "./PasswordForm";

export function Dashboard({ user, onSignedOut }: { user: { name: string; isAdmin: boolean }; onSignedOut: () => void }) {
  const [images, setImages] = useState<ImageSummary[] | null>(null);
  const [containers, setContainers] = useState<ContainerSummary[] | null>(null);
  const [selected, setSelected] = useState<string | null>(null);
  const [socket, setSocket] = useState<Socket | null>(null);
  const [live, setLive] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [passwordOpen, setPasswordOpen] = useState(false);
  const refreshTimer = useRef<ReturnType<typeof setTimeout> | null>(null);

  const handleError = useCallback(
    (err: unknown) => {
      if (isUnauthorized(err)) onSignedOut();
      else setError(errorMessage(err));
    },
    [onSignedOut],
  );

  const loadContainers = useCallback(async () => {
    try {
      setContainers(await trpc.container.list.query({ all: true }));
    } catch (err) {
      handleError(err);
    }
  }, [handleError]);

  const loadImages = useCallback(async () => {
    try {
      setImages(await trpc.image.list.query());
    } catch (err) {
      handleError(err);
    }
  }, [handleError]);

  /** Events come in bursts (create, start, die): one refetch per burst. */
  const scheduleContainers = useCallback(() => {
    if (refreshTimer.current) return;
    refreshTimer.current = setTimeout(() => {
      refreshTimer.current = null;
      void loadContainers();
    }, 100);
  }, [loadContainers]);

  useEffect(() => {
    void loadImages();
    void loadContainers();
  }, [loadImages, loadContainers]);

  useEffect(() => {
    const s = connectSocket();
    s.on("connect", () => {
      setLive(true);
      scheduleContainers();
    });
    s.on("disconnect", () => setLive(false));
    s.on("connect_error", (err: Error) => {
      setLive(false);
      if (err.message === "unauthorized") onSignedOut();
    });
    s.on(SOCKET.event, scheduleContainers);
    setSocket(s);
    return () => {
      s.removeAllListeners();
      s.disconnect();
      setSocket(null);
      if (refreshTimer.current) clearTimeout(refreshTimer.current);
      refreshTimer.current = null;
    };
  }, [scheduleContainers, onSignedOut]);

  async function logout() {
    try {
      await trpc.auth.logout.mutate();
    } finally {
      onSignedOut();
    }
  }

  const selectedSummary = containers?.find((c) => c.id === selected) ?? null;

  return (
    <div className="page">
      <header className="topbar">
        <span className="brand">Berth</span>
        <span className={live ? "live on" : "live"} title={live ? "live updates connected" : "live updates disconnected"}>
          {live ? "live" : "offline"}
        </span>
        <span className="spacer" />
        <span className="muted">{user.name}</span>
        <button className="link" data-testid="password-open" onClick={() => setPasswordOpen((o) => !o)}>
          Change password
        </button>
        <button className="link" onClick={() => void logout()}>
          Sign out
        </button>
      </header>
      {error && (
        <div className="banner error" role="alert">
          {error}
          <button className="link" onClick={() => setError(null)}>
            dismiss
          </button>
        </div>
      )}
      {passwordOpen && <PasswordForm onClose={() => setPasswordOpen(false)} />}
      <main className="grid">
        <section className="panel">
          <h2>Run a container</h2>
          <RunForm
            onStarted={(c) => {
              setSelected(c.id);
              void loadContainers();
            }}
            onError={handleError}
          />
        </section>
        <section className="panel">
          <h2>
            Images <button className="link small" onClick={() => void loadImages()}>refresh</button>
          </h2>
          <ImagesTable images={images} />
        </section>
        <section className="panel wide">
          <h2>Containers</h2>
          <ContainersTable containers={containers} selected={selected} onSelect={setSelected} />
        </section>
        <section className="panel wide">
          <h2>
            Logs
            {selectedSummary && <span className="muted small"> — {selectedSummary.name}</span>}
          </h2>
          <LogPanel socket={socket} containerId={selected} onExit={scheduleContainers} />
        </section>
        <section className="panel wide">
          <h2>Registry</h2>
          <RepoSearch onUnauthorized={onSignedOut} />
        </section>
      </main>
    </div>
  );
}
