"use client";
/**
 * The shell's one socket.io connection, shared by its pages: whether live updates are on, and
 * container events as they come (the server sends each socket only its user's teams' events).
 */
import { createContext, useContext, useEffect, useRef, useState, type ReactNode } from "react";
import type { Socket } from "socket.io-client";
import type { ContainerEvent } from "@berth/core";
import { io } from "socket.io-client";
import { SOCKET } from "../../lib/socket";

export type LiveEvent = ContainerEvent;

type Listener = (e: LiveEvent) => void;

interface Live {
  connected: boolean;
  socket: Socket | null;
  subscribe: (fn: Listener) => () => void;
}

const LiveContext = createContext<Live>({ connected: false, socket: null, subscribe: () => () => {} });

export function LiveProvider({ team, children, onUnauthorized }: { team: string; children: ReactNode; onUnauthorized: () => void }) {
  const [socket, setSocket] = useState<Socket | null>(null);
  const [connected, setConnected] = useState(false);
  const listeners = useRef(new Set<Listener>());
  const unauthorized = useRef(onUnauthorized);
  unauthorized.current = onUnauthorized;

  useEffect(() => {
    // The team rides in the handshake: socket events that ask the policy act in it (web/src/server/socket/actor.ts).
    const s = io({ path: "/socket.io", withCredentials: true, transports: ["websocket", "polling"], auth: { team } });
    s.on("connect", () => setConnected(true));
    s.on("disconnect", () => setConnected(false));
    s.on("connect_error", (err: Error) => {
      setConnected(false);
      if (err.message === "unauthorized") unauthorized.current();
    });
    s.on(SOCKET.event, (e: LiveEvent) => {
      for (const fn of listeners.current) fn(e);
    });
    setSocket(s);
    return () => {
      s.removeAllListeners();
      s.disconnect();
      setSocket(null);
    };
  }, [team]);

  const value: Live = {
    connected,
    socket,
    subscribe: (fn) => {
      listeners.current.add(fn);
      return () => listeners.current.delete(fn);
    },
  };
  return <LiveContext.Provider value={value}>{children}</LiveContext.Provider>;
}

export const useLive = () => useContext(LiveContext);

/**
 * Calls `onEvent` for each container event, coalesced: events come in bursts (create, start,
 * die), and a burst should cost one refetch. Also fires on (re)connect, to catch up on what was missed.
 */
export function useLiveRefresh(onEvent: () => void, filter?: (e: LiveEvent) => boolean, delayMs = 150): void {
  const { subscribe, connected } = useLive();
  const fn = useRef(onEvent);
  fn.current = onEvent;
  const keep = useRef(filter);
  keep.current = filter;
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | null = null;
    const off = subscribe((e) => {
      if (keep.current && !keep.current(e)) return;
      if (timer) return;
      timer = setTimeout(() => {
        timer = null;
        fn.current();
      }, delayMs);
    });
    return () => {
      off();
      if (timer) clearTimeout(timer);
    };
  }, [subscribe, delayMs]);
  const wasConnected = useRef(connected);
  useEffect(() => {
    if (connected && !wasConnected.current) fn.current();
    wasConnected.current = connected;
  }, [connected]);
}
