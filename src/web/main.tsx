import '@mantine/core/styles.css';
import '@mantine/charts/styles.css';
import './app.css';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { MantineProvider, createTheme } from '@mantine/core';
import { App } from './App';
import { SessionProvider } from './auth/session';
import { QueryProvider } from './QueryProvider';

const theme = createTheme({ primaryColor: 'indigo', defaultRadius: 'md' });

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <MantineProvider theme={theme} defaultColorScheme="auto">
      <SessionProvider>
        <QueryProvider>
          <App />
        </QueryProvider>
      </SessionProvider>
    </MantineProvider>
  </StrictMode>,
);
